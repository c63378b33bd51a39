/**
 * Joining a thread without waiting for a full replay: the newest published
 * snapshot a peer keeps is fetched, checked (db/published-snapshot.ts) and
 * shown as the thread's view; then the records are synced as usual and the
 * snapshot checked against them in the background (db/snapshot-check.ts).
 * A snapshot that is missing or refused changes nothing: the thread is
 * joined by replay, as without snapshots, and the refusal is reported by name.
 */
import type { ThreadDatabase } from '../db/thread-database.ts'
import type { OpenedSnapshot } from '../db/published-snapshot.ts'
import type { SnapshotCheck } from '../db/snapshot-check.ts'
import { ThreadsError } from '../errors.ts'
import { createLogger } from '../logger.ts'
import { remoteHeadsAsMember, syncThread, withPullProof, type SyncResult, type SyncTransport } from './engine.ts'
import type { SyncReplica } from './replica.ts'
import { remoteSnapshotShelf, type SnapshotShelf } from './snapshot-shelf.ts'

const log = createLogger('sync:snapshot-join')

/** How a join went: the snapshot shown (or why none was), and the sync and check still under way. */
export interface SnapshotJoin extends SnapshotShown {
  /** The sync of every record, then the check of the snapshot against them. */
  readonly rest: Promise<{ readonly sync: SyncResult, readonly check: SnapshotCheck }>
}

/** What showing a thread from a snapshot came to: the snapshot shown, or why none was. */
export interface SnapshotShown {
  /** The snapshot now shown, if one was found, verified and the view was empty. */
  readonly snapshot?: OpenedSnapshot
  /** Why the snapshot found was not used (a named snapshot error, or the peer's refusal); the view is then built by replay. */
  readonly refused?: Error
}

/**
 * Shows `thread` from the newest snapshot `shelf` (by default the peer behind
 * `transport`) keeps, checked against that peer's heads, when its view is
 * still empty. Syncs nothing else: the records follow with the next sync, and
 * `thread.checkSnapshot()` checks the snapshot once they are in. A peer out
 * of reach or refusing is reported in `refused`, like a refused snapshot.
 */
export async function showFromSnapshot (input: {
  readonly thread: ThreadDatabase
  readonly replica: SyncReplica
  readonly transport: SyncTransport
  readonly shelf?: SnapshotShelf
  readonly signal?: AbortSignal
}): Promise<SnapshotShown> {
  const { thread, replica } = input
  const proofed = withPullProof(input.transport, replica, thread.id)
  const shelf = input.shelf ?? remoteSnapshotShelf(async (request) => await proofed.request(request, { signal: input.signal }))
  try {
    // A joiner's first contact: its join rides with the request for the snapshot (a join the peer holds already is a
    // duplicate); then the heads, to hold the snapshot's vector against, come while the snapshot opens.
    const own = await replica.ownLog?.(thread.id)
    const [first] = own === undefined ? [] : await replica.recordsAfter(thread.id, own, 0, 1)
    const bundle = await shelf.latest(thread.id, first)
    if (bundle === undefined) return {}
    const heads = remoteHeadsAsMember(proofed, replica, thread.id, input.signal).then((r) => r.heads)
    heads.catch((error: unknown) => { log('the heads of %s did not come: %s', thread.id, (error as Error).message) }) // adoptSnapshot reports it
    const snapshot = await thread.adoptSnapshot(bundle, heads)
    return snapshot === undefined ? {} : { snapshot }
  } catch (error) {
    if (!(error instanceof ThreadsError)) throw error
    log('the snapshot of thread %s was not used: %s', thread.id, error.message)
    return { refused: error }
  }
}

/**
 * `showFromSnapshot`, then a sync of every record with the same peer and the
 * check of the snapshot against them. Resolves once the snapshot is shown
 * (or refused); `rest` once the records are in and the snapshot checked.
 */
export async function joinFromSnapshot (input: {
  readonly thread: ThreadDatabase
  readonly replica: SyncReplica
  readonly transport: SyncTransport
  readonly shelf?: SnapshotShelf
  readonly batchSize?: number
  readonly signal?: AbortSignal
}): Promise<SnapshotJoin> {
  const { thread, replica, transport } = input
  const shown = await showFromSnapshot(input)
  const rest = (async () => {
    const sync = await syncThread({ thread: thread.id, replica, transport, batchSize: input.batchSize, signal: input.signal })
    return { sync, check: await thread.checkSnapshot() }
  })()
  return { ...shown, rest }
}
