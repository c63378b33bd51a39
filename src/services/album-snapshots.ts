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
 *   thumbnail packs of the photos this device holds (album-packs.ts: packs
 *   built before are reused), and hands that snapshot to each follower after
 *   a sync that leaves it holding everything written here, pushing it the
 *   packs it lacks where its block endpoint is known (a follower known by its
 *   libp2p address alone takes only a snapshot naming no packs);
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
import type { SnapshotBundle } from '../core/db/published-snapshot.ts'
import type { AlbumPacks, ThumbnailPacks } from './album-packs.ts'
import type { FollowerPeer } from './album-sync.ts'

const log = createLogger('services:album-snapshots')

/** Records written since the last snapshot before a writer publishes another (default). */
export const SNAPSHOT_EVERY_RECORDS = 500
/** Shortest time between two snapshots of one album by this device (default). */
export const SNAPSHOT_MIN_INTERVAL_MS = 10 * 60 * 1000
/** Times a snapshot is handed to a follower that refuses it before it waits for the next one. */
const MAX_HANDS = 3
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
  /** Every follower the albums sync with: a snapshot and its packs go to each that can take them. */
  readonly followers?: () => readonly FollowerPeer[]
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
  /** By album, the syncs that settled while it was busy, by follower address. */
  const settled = new Map<string, Map<string, { readonly follower: FollowerPeer, readonly complete: boolean }>>()
  const first = <V>(map: ReadonlyMap<string, V>): V | undefined => map.values().next().value

  /** By album: the snapshot published from here last, its packs, and the followers (by address) that took it. */
  const current = new Map<string, { readonly snapshot: SnapshotBundle, readonly packs?: ThumbnailPacks, readonly given: Set<string>, readonly refused: Map<string, number> }>()

  /** The album's followers whose block endpoint is known: the ones packs can be pushed to. */
  const withBlocks = (): FollowerPeer[] => (input.followers?.() ?? []).filter((f) => f.blocks?.() !== undefined)

  async function publishIfDue (thread: ThreadDatabase, follower: FollowerPeer): Promise<void> {
    const records = (await thread.heads()).reduce((n, h) => n + h.seq, 0)
    const last = published.get(thread.id) ?? { records: 0, at: -Infinity }
    if (records - last.records < every || now() - last.at < interval) return
    if (!atLeast(await thread.members.role(), 'write')) return
    // Packs only where some follower can be pushed them: one that never gets them would only make joiners wait for them.
    const packs = follower.blocks?.() === undefined && withBlocks().length === 0 ? undefined : await input.packs?.make(thread)
    const thumbs = packs?.cids.map((cid) => cid.toString()) ?? []
    const snapshot = await thread.publishSnapshot(thumbs.length === 0 ? {} : { thumbs })
    current.get(thread.id)?.packs?.release()
    current.set(thread.id, { snapshot, ...(thumbs.length === 0 ? {} : { packs }), given: new Set(), refused: new Map() })
    published.set(thread.id, { records, at: now() })
  }

  /**
   * Hands `follower` the album's current snapshot if it has not taken it yet, and pushes it the packs the snapshot
   * names that it lacks. A snapshot naming packs goes only to a follower whose block endpoint is known (pushing is
   * HTTP): one known by its libp2p address alone would make joiners wait for packs it never gets. A follower takes
   * only a snapshot of records it holds: one refused is handed again after its next complete sync.
   */
  async function handOn (thread: ThreadDatabase, follower: FollowerPeer): Promise<void> {
    const entry = current.get(thread.id)
    if (entry === undefined || entry.given.has(follower.address)) return
    const endpoint = follower.blocks?.()
    if (entry.packs !== undefined && endpoint === undefined) return
    const shelf = remoteSnapshotShelf(async (request) => await withPullProof(follower.transport, input.replica(), thread.id).request(request))
    try {
      await shelf.put(thread.id, entry.snapshot)
    } catch (error) {
      // It keeps a newer one (another writer's): it has no use for this one. Other refusals are tried again a few
      // times (records it lacked arrive with the next sync), not after every sync until the next publication.
      const tries = (entry.refused.get(follower.address) ?? 0) + 1
      entry.refused.set(follower.address, tries)
      if ((error as Error).name === 'StaleSnapshotError' || tries >= MAX_HANDS) entry.given.add(follower.address)
      throw error
    }
    entry.given.add(follower.address)
    // The follower takes the packs its kept snapshot names, so they go once it keeps this one.
    if (entry.packs !== undefined && endpoint !== undefined) {
      const pushed = await entry.packs.push(endpoint)
      log('%s keeps a snapshot of %s naming %d thumbnail packs: it held %d, took %d now (%d bytes pushed)', follower.address, thread.id, entry.packs.cids.length, pushed.held, pushed.taken, pushed.bytes)
    }
    // Once each follower that can take it has it, neither it nor the packs made for it stay in memory (a follower
    // added later gets the next one).
    const takers = entry.packs === undefined ? (input.followers?.() ?? []) : withBlocks()
    if (takers.every((f) => entry.given.has(f.address)) && current.get(thread.id) === entry) {
      current.delete(thread.id)
      entry.packs?.release()
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
      // One at a time per album; syncs that settle meanwhile are taken after it, the latest of each follower.
      const waiting = settled.get(thread.id) ?? new Map<string, { follower: FollowerPeer, complete: boolean }>()
      settled.set(thread.id, waiting)
      waiting.set(follower.address, { follower, complete })
      if (busy.has(thread.id)) return
      busy.add(thread.id)
      try {
        for (let next = first(waiting); next !== undefined; next = first(waiting)) {
          waiting.delete(next.follower.address)
          const check = await thread.checkSnapshot()
          if (check.state === 'refused') {
            log.failure(`the snapshot ${check.root} of album ${thread.id}`, check.error)
            input.onRefused?.(thread.id, check.error)
          }
          if (!next.complete) continue
          try {
            await publishIfDue(thread, next.follower)
            await handOn(thread, next.follower)
          } catch (error) {
            // The next complete sync with that follower tries again; the others waiting are still served.
            log.failure(`publishing a snapshot of ${thread.id} to ${next.follower.address}`, error)
          }
        }
      } finally {
        busy.delete(thread.id)
        settled.delete(thread.id)
      }
    }
  }
}
