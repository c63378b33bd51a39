/**
 * Snapshots of a thread's view (paper §5.5.1): every N applied events the
 * whole view is written as one value, with the position of every log it
 * covers. Restoring is the snapshot plus a replay of the records after those
 * positions, much cheaper than replaying every record; views stay disposable,
 * since both paths give the same view.
 */
import type { KeyValueStore, StoreCallOptions } from '../storage/interfaces.ts'
import { getValue, putValue } from '../storage/meta-values.ts'
import type { DocState } from './doc-state.ts'
import type { ThreadView } from './view.ts'

/** A stored snapshot. */
export interface ViewSnapshot {
  readonly v: 1
  readonly clock: number
  /** Log ID → the last sequence number the snapshot includes. */
  readonly vector: Readonly<Record<string, number>>
  readonly states: ReadonlyArray<readonly [coll: string, state: DocState]>
}

const snapshotKey = (thread: string): string => `snapshot/${thread}`

/** Captures a view at the given log positions. */
export function takeSnapshot (view: ThreadView, vector: Record<string, number>): ViewSnapshot {
  const states: Array<readonly [string, DocState]> = []
  for (const [name, collection] of view.collections) for (const state of collection.states.values()) states.push([name, state])
  return { v: 1, clock: view.clock, vector, states }
}

/** Writes a snapshot, replacing the previous one (local compaction keeps one). */
export async function saveSnapshot (meta: KeyValueStore, thread: string, snapshot: ViewSnapshot, options?: StoreCallOptions): Promise<void> {
  await meta.batch([putValue(snapshotKey(thread), snapshot)], options)
}

/** The stored snapshot of a thread, if any. */
export async function loadSnapshot (meta: KeyValueStore, thread: string, options?: StoreCallOptions): Promise<ViewSnapshot | undefined> {
  return await getValue<ViewSnapshot>(meta, snapshotKey(thread), options)
}
