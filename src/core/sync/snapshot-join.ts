/**
 * Joining a thread without waiting for a full replay: the newest published
 * snapshot a peer keeps is fetched, checked (db/published-snapshot.ts) and
 * shown as the thread's view; then the records are synced as usual and the
 * snapshot checked against them in the background (db/snapshot-check.ts).
 * A snapshot that is missing or refused changes nothing: the thread is
 * joined by replay, as without snapshots, and the refusal is reported by name.
 */
import type { ThreadDatabase } from '../db/thread-database.ts'
import type { OpenedSnapshot, SnapshotBundle } from '../db/published-snapshot.ts'
import type { SnapshotCheck } from '../db/snapshot-check.ts'
import { ThreadsError } from '../errors.ts'
import { createLogger } from '../logger.ts'
import { remoteHeadsAsMember, syncThread, withPullProof, type SyncResult, type SyncTransport } from './engine.ts'
import type { SyncReplica } from './replica.ts'
import { remoteSnapshotShelf, type SnapshotShelf } from './snapshot-shelf.ts'

const log = createLogger('sync:snapshot-join')

/** How a join went: the snapshot shown (or why none was), and the sync and check still under way. */
export interface SnapshotJoin {
  /** The snapshot now shown, if one was found, verified and the view was empty. */
  readonly snapshot?: OpenedSnapshot
  /** Why the snapshot found was not used (a named snapshot error); the view is then built by replay. */
  readonly refused?: Error
  /** The sync of every record, then the check of the snapshot against them. */
  readonly rest: Promise<{ readonly sync: SyncResult, readonly check: SnapshotCheck }>
}

/**
 * Shows `thread` from the newest snapshot `shelf` (by default the peer behind
 * `transport`) keeps, then syncs it with that peer and checks the snapshot.
 * Resolves once the snapshot is shown (or refused); `rest` once the records
 * are in and the snapshot checked.
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
  const proofed = withPullProof(transport, replica, thread.id)
  const shelf = input.shelf ?? remoteSnapshotShelf(async (request) => await proofed.request(request, { signal: input.signal }))
  // Heads first: as a member (a joiner's first contact pushes its join), and to hold the snapshot's vector against.
  const { heads } = await remoteHeadsAsMember(proofed, replica, thread.id, input.signal)
  let bundle: SnapshotBundle | undefined
  let snapshot: OpenedSnapshot | undefined
  let refused: Error | undefined
  try {
    bundle = await shelf.latest(thread.id)
    if (bundle !== undefined) snapshot = await thread.adoptSnapshot(bundle, heads)
  } catch (error) {
    if (!(error instanceof ThreadsError)) throw error
    log('the snapshot of thread %s was not used: %s', thread.id, error.message)
    refused = error
  }
  const rest = (async () => {
    const sync = await syncThread({ thread: thread.id, replica, transport, batchSize: input.batchSize, signal: input.signal })
    return { sync, check: await thread.checkSnapshot() }
  })()
  return { ...snapshot === undefined ? {} : { snapshot }, ...refused === undefined ? {} : { refused }, rest }
}
