/**
 * Snapshots of a thread's view (paper §5.5.1), taken every N applied events,
 * with the position of every log they cover. Restoring is the snapshot plus a
 * replay of the records after those positions, far cheaper than replaying
 * every record; both give the same view, so views stay disposable.
 *
 * A snapshot is stored in chunks: each document belongs to one of
 * CHUNKS buckets (by a hash of collection and ID), and a new snapshot rewrites
 * only the buckets changed since the last one, so its cost follows what
 * changed, not the size of the view. Header and chunks are written in one
 * atomic batch, so a snapshot is whole or absent.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import type { BatchOperation, KeyValueStore, StoreCallOptions } from '../storage/interfaces.ts'
import { getValue, listValues, putValue } from '../storage/meta-values.ts'
import type { DocState } from './doc-state.ts'
import type { ThreadView } from './view.ts'

/** Number of buckets documents are spread over. */
export const CHUNKS = 4096

/** A snapshot's header. */
export interface SnapshotHeader {
  readonly v: 1
  readonly clock: number
  /** Log ID → the last sequence number the snapshot includes. */
  readonly vector: Readonly<Record<string, number>>
}

/** A snapshot read back whole. */
export interface ViewSnapshot extends SnapshotHeader {
  readonly states: ReadonlyArray<readonly [coll: string, state: DocState]>
}

const headerKey = (thread: string): string => `snapshot/${thread}/header`
const chunkPrefix = (thread: string): string => `snapshot/${thread}/chunk/`
const chunkKey = (thread: string, chunk: number): string => `${chunkPrefix(thread)}${String(chunk).padStart(4, '0')}`

/** The bucket of a document. */
export function chunkOf (coll: string, id: string): number {
  const digest = sha256(utf8ToBytes(`${coll}\u0000${id}`))
  return ((digest[0]! << 8) | digest[1]!) % CHUNKS
}

/**
 * Keeps track of which bucket each document is in and which buckets changed
 * since the last snapshot, so writing one costs what changed.
 */
export interface SnapshotTracker {
  /** Notes that a document's state changed. */
  touch(coll: string, id: string): void
  /** Events applied since the last snapshot. */
  readonly pending: number
  countApplied(events: number): void
  /** Writes a snapshot: the header and every changed bucket (all buckets when `full`). */
  save(meta: KeyValueStore, thread: string, view: ThreadView, vector: Record<string, number>, options?: StoreCallOptions & { full?: boolean }): Promise<void>
}

/**
 * A tracker over a view's current documents. Bucket membership of the
 * documents already there is worked out on the first save (all their buckets
 * count as changed), so opening or rebuilding a view pays nothing for it.
 */
export function createSnapshotTracker (view: ThreadView): SnapshotTracker {
  const members = new Map<number, Map<string, readonly [string, string]>>()
  const dirty = new Set<number>()
  let pending = 0
  let known = false
  const touch = (coll: string, id: string): void => {
    const key = `${coll}\u0000${id}`
    const chunk = chunkOf(coll, id)
    let bucket = members.get(chunk)
    if (bucket === undefined) {
      bucket = new Map()
      members.set(chunk, bucket)
    }
    bucket.set(key, [coll, id])
    dirty.add(chunk)
  }
  const learnExisting = (): void => {
    if (known) return
    known = true
    for (const [name, collection] of view.collections) for (const id of collection.states.keys()) touch(name, id)
  }
  return {
    touch,
    get pending () { return pending },
    countApplied (events) { pending += events },
    async save (meta, thread, current, vector, options) {
      learnExisting()
      const operations: BatchOperation[] = [putValue(headerKey(thread), { v: 1, clock: current.clock, vector })]
      if (options?.full === true) {
        for await (const [key] of meta.list(chunkPrefix(thread), options)) operations.push({ type: 'delete', key })
        for (const chunk of members.keys()) dirty.add(chunk)
      }
      for (const chunk of dirty) {
        const states = [...members.get(chunk)?.values() ?? []].flatMap(([coll, id]) => {
          const state = current.collections.get(coll)?.states.get(id)
          return state === undefined ? [] : [[coll, state] as const]
        })
        operations.push(states.length > 0 ? putValue(chunkKey(thread, chunk), states) : { type: 'delete', key: chunkKey(thread, chunk) })
      }
      await meta.batch(operations, options)
      dirty.clear()
      pending = 0
    }
  }
}

/** The stored snapshot of a thread, if any. */
export async function loadSnapshot (meta: KeyValueStore, thread: string, options?: StoreCallOptions): Promise<ViewSnapshot | undefined> {
  const header = await getValue<SnapshotHeader>(meta, headerKey(thread), options)
  if (header === undefined) return undefined
  const states: Array<readonly [string, DocState]> = []
  for await (const [, chunk] of listValues<Array<readonly [string, DocState]>>(meta, chunkPrefix(thread), options)) states.push(...chunk)
  return { ...header, states }
}
