/**
 * Published snapshots of albums (core/db/published-snapshot.ts), as the
 * album service uses them:
 * - joining: before an album joined here is first synced, it is shown from
 *   the newest snapshot a follower keeps, so a person joining a large album
 *   sees its photos at once; the records follow with the usual sync;
 * - after each sync: a snapshot shown is checked against the records once they
 *   are all in (a lying one is reported in words, its publisher distrusted
 *   and the album rebuilt from the records); and a writer publishes a new
 *   snapshot to the follower when enough has happened since the last one
 *   (`everyRecords`), at most once per `minIntervalMs` per album, naming the
 *   thumbnail packs of the photos this device holds and pushing them to that
 *   follower after the snapshot (album-packs.ts), where it has the follower's
 *   block endpoint;
 * - after a join shows a snapshot: its thumbnail packs are loaded from the
 *   follower that served it, so the grid's thumbnails come from a few packs.
 * All of it is a shortcut: a failure is logged and the album syncs as before.
 */
import { atLeast } from '../core/acl/roles.ts'
import type { ThreadDatabase } from '../core/db/index.ts'
import type { SnapshotMismatchError, SnapshotPublisherError, SnapshotVectorError } from '../core/db/snapshot-errors.ts'
import { createLogger } from '../core/logger.ts'
import type { SyncReplica } from '../core/sync/replica.ts'
import { withPullProof } from '../core/sync/engine.ts'
import { showFromSnapshot } from '../core/sync/snapshot-join.ts'
import { remoteSnapshotShelf } from '../core/sync/snapshot-shelf.ts'
import type { AlbumPacks } from './album-packs.ts'
import type { FollowerPeer } from './album-sync.ts'

const log = createLogger('services:album-snapshots')

/** Records written since the last snapshot before a writer publishes another (default). */
export const SNAPSHOT_EVERY_RECORDS = 500
/** Shortest time between two snapshots of one album by this device (default). */
export const SNAPSHOT_MIN_INTERVAL_MS = 10 * 60 * 1000
/** Longest wait for a follower's snapshot when joining, before the album is simply synced. */
const SHOW_TIMEOUT_MS = 5000

/** Snapshot duties of the album service. */
export interface AlbumSnapshots {
  /** Shows a just-joined album from the newest snapshot one of `followers` keeps, if any verifies. */
  show(thread: ThreadDatabase, followers: readonly FollowerPeer[]): Promise<void>
  /** After a sync with `follower` settled: checks a snapshot shown, and, when the follower holds everything written here (`complete`), publishes one if due. */
  afterSync(thread: ThreadDatabase, follower: FollowerPeer, complete: boolean): Promise<void>
}

/** The album service's snapshot duties over `replica`; `onRefused` hears of a snapshot its records contradicted. */
export function createAlbumSnapshots (input: {
  readonly replica: () => SyncReplica
  /** Thumbnail packs, where this device has media; snapshots name none without. */
  readonly packs?: AlbumPacks
  readonly everyRecords?: number
  readonly minIntervalMs?: number
  readonly now?: () => number
  readonly onRefused?: (thread: string, error: SnapshotMismatchError | SnapshotPublisherError | SnapshotVectorError) => void
}): AlbumSnapshots {
  const every = input.everyRecords ?? SNAPSHOT_EVERY_RECORDS
  const interval = input.minIntervalMs ?? SNAPSHOT_MIN_INTERVAL_MS
  const now = input.now ?? Date.now
  /** By album: records covered by the last snapshot published from here, and when. */
  const published = new Map<string, { readonly records: number, readonly at: number }>()
  const busy = new Set<string>()
  const again = new Set<string>()

  async function publishIfDue (thread: ThreadDatabase, follower: FollowerPeer): Promise<void> {
    const records = (await thread.heads()).reduce((n, h) => n + h.seq, 0)
    const last = published.get(thread.id) ?? { records: 0, at: -Infinity }
    if (records - last.records < every || now() - last.at < interval) return
    if (!atLeast(await thread.members.role(), 'write')) return
    // Packs only for a follower they can be pushed to: one that never gets them would only make joiners wait for them.
    const endpoint = follower.blocks?.()
    const packs = endpoint === undefined ? undefined : await input.packs?.make(thread)
    const thumbs = packs?.cids.map((cid) => cid.toString()) ?? []
    const snapshot = await thread.publishSnapshot(thumbs.length === 0 ? {} : { thumbs })
    const shelf = remoteSnapshotShelf(async (request) => await withPullProof(follower.transport, input.replica(), thread.id).request(request))
    // A follower takes only a snapshot of records it holds: one covering a write made since the sync is refused, and
    // published again after the next.
    await shelf.put(thread.id, snapshot)
    published.set(thread.id, { records, at: now() })
    // The follower takes the packs its kept snapshot names, so they go once it keeps this one.
    if (packs !== undefined && thumbs.length > 0) {
      const taken = await packs.push(endpoint!)
      log('published a snapshot of %s with %d thumbnail packs, %d taken by %s', thread.id, thumbs.length, taken, follower.address)
    }
  }

  return {
    async show (thread, followers) {
      for (const follower of followers) {
        const shown = await showFromSnapshot({ thread, replica: input.replica(), transport: follower.transport, signal: AbortSignal.timeout(SHOW_TIMEOUT_MS) })
          .catch((error: unknown) => ({ refused: error as Error, snapshot: undefined }))
        if (shown.snapshot !== undefined) {
          input.packs?.load(thread, shown.snapshot.manifest.thumbs ?? [], follower.blocks?.())
          return
        }
        if (shown.refused !== undefined) log('no snapshot of %s from %s: %s', thread.id, follower.address, shown.refused.message)
      }
    },
    async afterSync (thread, follower, complete) {
      // One at a time per album; a sync that settles meanwhile has it run once more after.
      if (busy.has(thread.id)) { again.add(thread.id); return }
      busy.add(thread.id)
      try {
        do {
          again.delete(thread.id)
          const check = await thread.checkSnapshot()
          if (check.state === 'refused') {
            log.failure(`the snapshot ${check.root} of album ${thread.id}`, check.error)
            input.onRefused?.(thread.id, check.error)
          }
          if (complete) await publishIfDue(thread, follower)
        } while (again.has(thread.id))
      } finally {
        busy.delete(thread.id)
        again.delete(thread.id)
      }
    }
  }
}
