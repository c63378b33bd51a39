/**
 * Snapshots of a thread's view (paper §5.5.1), taken once N events have been
 * applied and the database pauses (at the latest after 8 N, see
 * thread-database.ts), with the position of every log they cover. Restoring is the snapshot plus a
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
import type { DocState, FieldEntry, Incarnation } from './doc-state.ts'
import type { Version } from './version.ts'
import type { ThreadView } from './view.ts'

/** Number of buckets documents are spread over. */
export const CHUNKS = 4096

/** Format of snapshots this version writes and reads; one of another format is ignored (the view rebuilds from the log). */
const SNAPSHOT_FORMAT = 2

/** A snapshot's header. */
export interface SnapshotHeader {
  readonly v: typeof SNAPSHOT_FORMAT
  readonly clock: number
  /** Log ID → the last sequence number the snapshot includes. */
  readonly vector: Readonly<Record<string, number>>
}

/** A snapshot read back whole. */
export interface ViewSnapshot extends SnapshotHeader {
  readonly states: ReadonlyArray<readonly [coll: string, state: DocState]>
}

/**
 * A chunk as stored: log IDs appear once in a table and versions refer to
 * them by index, since a 52-character log ID repeated in every version would
 * make most of a snapshot's bytes and of its decoding time.
 */
export interface StoredChunk {
  readonly logs: string[]
  readonly states: Array<[coll: string, id: string, current: string | null, incarnations: StoredIncarnation[]]>
}
export type StoredIncarnation = [inc: string, created: StoredVersion | null, deleted: boolean, latest: StoredVersion | null,
  fields: Array<[name: string, ver: StoredVersion, unset: boolean, value: unknown]>, text: Record<string, Uint8Array>]
export type StoredVersion = [clock: number, log: number, seq: number, op: number]

/** A chunk of document states as stored (log IDs in a table). */
export function encodeChunk (states: ReadonlyArray<readonly [string, DocState]>): StoredChunk {
  const logs: string[] = []
  const index = new Map<string, number>()
  const ver = (v: Version): StoredVersion => {
    let i = index.get(v[1])
    if (i === undefined) {
      i = logs.push(v[1]) - 1
      index.set(v[1], i)
    }
    return [v[0], i, v[2], v[3]]
  }
  const maybe = (v: Version | null): StoredVersion | null => v === null ? null : ver(v)
  return {
    logs,
    states: states.map(([coll, state]) => [coll, state.id, state.current, Object.entries(state.incarnations).map(([inc, i]): StoredIncarnation => [
      inc, maybe(i.created), i.deleted, maybe(i.latest),
      Object.entries(i.fields).map(([name, entry]) => [name, ver(entry.ver), entry.unset === true, entry.unset === true ? null : entry.value]),
      { ...i.text }])])
  }
}

/** The document states of a stored chunk. */
export function decodeChunk (chunk: StoredChunk): Array<readonly [string, DocState]> {
  const ver = (v: StoredVersion): Version => [v[0], chunk.logs[v[1]]!, v[2], v[3]]
  const maybe = (v: StoredVersion | null): Version | null => v === null ? null : ver(v)
  return chunk.states.map(([coll, id, current, stored]) => {
    const incarnations: Record<string, Incarnation> = {}
    for (const [inc, created, deleted, latest, fields, text] of stored) {
      const entries: Record<string, FieldEntry> = {}
      for (const [name, v, unset, value] of fields) entries[name] = unset ? { ver: ver(v), unset: true } : { ver: ver(v), value }
      incarnations[inc] = { created: maybe(created), deleted, latest: maybe(latest), fields: entries, text }
    }
    return [coll, { id, current, incarnations }] as const
  })
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
      const operations: BatchOperation[] = [putValue(headerKey(thread), { v: SNAPSHOT_FORMAT, clock: current.clock, vector })]
      if (options?.full === true) {
        for await (const [key] of meta.list(chunkPrefix(thread), options)) operations.push({ type: 'delete', key })
        for (const chunk of members.keys()) dirty.add(chunk)
      }
      for (const chunk of dirty) {
        const states = [...members.get(chunk)?.values() ?? []].flatMap(([coll, id]) => {
          const state = current.collections.get(coll)?.states.get(id)
          return state === undefined ? [] : [[coll, state] as const]
        })
        operations.push(states.length > 0 ? putValue(chunkKey(thread, chunk), encodeChunk(states)) : { type: 'delete', key: chunkKey(thread, chunk) })
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
  if (header?.v !== SNAPSHOT_FORMAT) return undefined
  const states: Array<readonly [string, DocState]> = []
  for await (const [, chunk] of listValues<StoredChunk>(meta, chunkPrefix(thread), options)) states.push(...decodeChunk(chunk))
  return { ...header, states }
}
