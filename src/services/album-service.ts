/**
 * The photo album a background node serves to its tabs: one database over an
 * injected storage backend, one thread per album, each kept in sync with
 * every follower it knows (each asked to follow an album before the first
 * sync that reaches it; followers can be added while it runs, as they are
 * found or learnt from invites) and with directly connected browsers,
 * announced on the album's topic once a follower holds a local write. Tabs follow an album with `album.subscribe`
 * and are pushed its state whenever it changes.
 *
 * It takes its storage, its transport to the follower, its topics and its
 * direct peers as dependencies, so the same service runs in the SharedWorker
 * (IndexedDB, libp2p), in Node, and in tests (memory storage, loopback
 * transport). It is {@link Startable}: `stop` stops every scheduler and the
 * direct peers, leaves the topics and releases every listener; the backend
 * stays open for its owner to close.
 */
import { createLifecycle, NotRunningError, type Startable } from '../core/lifecycle.ts'
import { createLogger } from '../core/logger.ts'
import { openDatabase, ThreadNotFoundError, type ThreadDatabase } from '../core/db/index.ts'
import type { StorageBackend } from '../core/storage/interfaces.ts'
import { parseInviteLink } from '../core/sync/invite.ts'
import type { SyncReplica } from '../core/sync/replica.ts'
import type { SyncHint, SyncScheduler, SyncStatus } from '../core/sync/scheduler.ts'
import { isImage, type AlbumSnapshot } from '../protocol/album-messages.ts'
import { toWireError } from '../protocol/errors.ts'
import type { TabViewsWriter } from '../protocol/tab-views.ts'
import type { LinkContext, RequestHandlers } from '../protocol/rpc-server.ts'
import { createAlbumChanges, type AlbumReport } from './album-changes.ts'
import { createAlbumPacks } from './album-packs.ts'
import { applyName, asMember, memberHandlers } from './album-members.ts'
import { createAlbumPrefs } from './album-prefs.ts'
import { keepOriginalsOf, localThumbnail, mediaHandlers } from './album-media.ts'
import { createAlbumSnapshots } from './album-snapshots.ts'
import { albumView, PHOTOS, photoSchema, photoViews, shownStatusKey, syncView } from './album-snapshot.ts'
import { createFollowerSync, type FollowerPeer, type FollowerSyncTiming } from './album-sync.ts'
import type { DirectPeers } from './direct-peers.ts'
import { createFollowerAcks } from './follower-acks.ts'
import { followerRequestHandlers } from './follower-requests.ts'
import { PhotoNotFoundError } from './errors.ts'
import type { MediaStore } from './media-store.ts'
import { createAnnouncementLimit } from './announcement-limit.ts'
import { createAnnouncedPulls } from './announced-pulls.ts'
import { decodeTopicMessage, encodeTopicMessage } from './topic-messages.ts'
import type { Topics } from './topics.ts'

export type { FollowerPeer, FollowerSyncTiming } from './album-sync.ts'

const log = createLogger('services:album-service')

/** What the service gives the direct peers it is handed: where to sync from, and whom to tell when peers change. */
export interface DirectPeerHooks {
  readonly replica: SyncReplica
  readonly onChange: () => void
}

/** Options of {@link createAlbumService}. */
export interface AlbumServiceOptions {
  /** Where the database lives (IndexedDB in the browser, LMDB or memory elsewhere). */
  readonly backend: StorageBackend
  /** The follower, if one is known at start; more can be added with `addFollower`. Without any, albums stay on this device. */
  readonly follower?: FollowerPeer
  /**
   * Told the follower addresses an album names: those its invite carries when it is joined, and,
   * when it is opened, the followers that followed it before (after a reload too). The host dials
   * them and adds them with `addFollower`.
   */
  readonly onFollowerAddresses?: (addresses: readonly string[]) => void
  /** Resolves a follower's web address to its multiaddr, for a person adding one by URL (follower-requests.ts). */
  readonly resolveFollower?: (url: string) => Promise<string>
  /** One topic per album, for "sync now" announcements and direct peers' presence. */
  readonly topics: Topics
  /** Makes the direct peers (browsers connected over WebRTC), where the host has any. */
  readonly direct?: (hooks: DirectPeerHooks) => DirectPeers
  /** How often follower syncs run unprompted, and their longest backoff. */
  readonly followerSync?: FollowerSyncTiming
  /** Where the albums are kept as tabs show them, for tabs to read before the node starts (IndexedDB in the browser). */
  readonly tabViews?: TabViewsWriter
  /** When a writer publishes a snapshot of an album for people joining later (album-snapshots.ts defaults unless given). */
  readonly snapshots?: { readonly everyRecords?: number, readonly minIntervalMs?: number }
  /** Photos' files: where their blocks live and how they are fetched. Without it, photos carry no files. */
  readonly media?: MediaStore
  /** How long deleting or leaving an album waits for the follower to take what tells the others (20 s unless given). */
  readonly sendTimeoutMs?: number
}

/** The album requests a tab may make. */
export type AlbumHandlers = Omit<RequestHandlers, 'hello'>

/** A running album service. */
export interface AlbumService extends Startable {
  /** Answers tabs' album requests; each fails with a `NotRunningError` unless the service runs. */
  readonly handlers: AlbumHandlers
  /** The database as other peers sync with it, for the host to serve. */
  syncReplica(): SyncReplica
  /** Syncs every album with `follower` too, from now on (an address already known is ignored). */
  addFollower(follower: FollowerPeer): void
  /** The follower at `address` came or went: each album syncs with it now, so its status says what is true. */
  followerChanged(address: string): void
}

interface Album {
  readonly thread: ThreadDatabase
  /** One scheduler per follower, by address. */
  readonly schedulers: Map<string, SyncScheduler>
  /** Stops telling the album's followers about membership changes. */
  readonly stopMembers: () => void
}

/** Makes the album service; it serves once started. */
export function createAlbumService (options: AlbumServiceOptions): AlbumService {
  const { backend, topics } = options
  const followers = new Map<string, FollowerPeer>()
  if (options.follower !== undefined) followers.set(options.follower.address, options.follower)
  const db = openDatabase({ backend })
  const prefs = createAlbumPrefs(backend.meta)
  const acks = createFollowerAcks()
  const albums = new Map<string, Promise<Album>>()
  /** Albums with local writes not yet announced on their topic. */
  const unannounced = new Set<string>()
  /** The subscription of each tab's link: a tab follows one album at a time. */
  const subscriptions = new WeakMap<LinkContext, () => void>()
  /** Albums being removed from this device: not opened again meanwhile. */
  const forgetting = new Set<string>()
  /** Albums whose followers refuse this log as no member: writes there are refused here too, in words. */
  const refused = new Set<string>()
  /** Thumbnail packs: named in snapshots published from here, loaded when a join shows one. */
  const packs = options.media === undefined ? undefined : createAlbumPacks(options.media.blocks, backend.meta)
  const snapshots = createAlbumSnapshots({ replica: () => db.syncReplica(), followers: () => [...followers.values()], ...packs === undefined ? {} : { packs }, ...options.snapshots, onRefused: (id) => { changes.changed(id) } })
  /** Album topics joined, to leave on stop. */
  const topicsJoined = new Set<string>()
  // Revisions start from the clock, so a node that took over from another (the
  // fallback's handover, a restart) reports revisions newer than the old one's.
  let revision = Date.now()
  let direct: DirectPeers | undefined
  let stopListening: (() => void) | undefined
  /** Full syncs started on announcements without heads, limited per sender and album: a member saying "sync now" without end costs the others one sync every few seconds. */
  const announcements = createAnnouncementLimit()
  /** Pulls started by announcements naming heads: one in flight per sender and album, later ones merged into the next. */
  const pulls = createAnnouncedPulls({
    holdsAll,
    // A writer directly connected pushes its writes here as it makes them: their announcements (its own, its follower's) are its fallback.
    pushed: (id, heads) => direct?.pushesAll(id, heads.map((h) => h.log)) ?? false,
    pull: async (id, heads) => {
      const opened = await albums.get(id)
      if (opened === undefined) return
      await Promise.all([...[...opened.schedulers.values()].map(async (scheduler) => { await scheduler.kick({ heads }) }), direct?.kick(id, { heads })])
    },
    onError: (id, error) => { log.failure(`pulling what was announced on ${id}`, error) }
  })

  const changes = createAlbumChanges(async (id) => {
    const taken = await snapshot(id)
    const opened = await album(id)
    options.tabViews?.album(taken, async (photo) => await localThumbnail(options.media, opened.thread.collection(PHOTOS).find({ _id: photo })[0]))
    return taken
  })

  const lifecycle = createLifecycle({
    what: 'The album service',
    start: async () => {
      stopListening = topics.onMessage(({ topic, from, data }) => {
        if (!albums.has(topic)) return
        direct?.onTopicMessage(topic, from, data)
        // Someone announced new records on an album we hold: sync it now, pulling up to the heads it names (unverified: at most one bounded pull if false).
        const message = decodeTopicMessage(data)
        if (message?.type === 'records') {
          const sender = from?.toString() ?? 'unsigned'
          // Heads not held here: a pull at a time per sender, later announcements merged into the next (heads already held start nothing).
          if (message.heads !== undefined) pulls.announced(topic, sender, message.heads)
          // "Sync now" without heads costs a full sync, so those are limited per sender.
          else {
            void albums.get(topic)?.then((opened) => {
              announcements.admit(`${topic} ${sender}`, () => {
                kickAll(opened)
                void direct?.kick(topic)
              })
            }).catch((error: unknown) => { log.failure(`following an announcement on ${topic}`, error) })
          }
        }
      })
      direct = options.direct?.({ replica: db.syncReplica(), onChange: () => { changes.changed() } })
      await direct?.start()
    },
    stop: async () => {
      stopListening?.()
      announcements.close()
      changes.close()
      const opened = await Promise.allSettled([...albums.values()])
      albums.clear()
      for (const result of opened) if (result.status === 'fulfilled') result.value.stopMembers()
      for (const id of topicsJoined) topics.unsubscribe(id)
      topicsJoined.clear()
      await Promise.all([
        direct?.stop(),
        ...opened.flatMap((result) => result.status === 'fulfilled' ? [...result.value.schedulers.values()].map(async (s) => { await s.stop() }) : [])
      ])
    }
  })

  const running = (): void => {
    if (lifecycle.state !== 'running') throw new NotRunningError('The background node is not running its albums right now; reload the page')
  }

  /** The album `id`, opened (and its sync started) on first use. */
  async function album (id: string): Promise<Album> {
    running()
    if (forgetting.has(id)) throw new ThreadNotFoundError(`album ${id} is being removed from this device`)
    let opened = albums.get(id)
    if (opened === undefined) {
      opened = openAlbum(id)
      albums.set(id, opened)
      opened.catch(() => { if (albums.get(id) === opened) albums.delete(id) })
    }
    return await opened
  }

  /** Starts syncing the album `thread` with `follower`. */
  async function syncWith (album: Album, follower: FollowerPeer): Promise<void> {
    const { thread } = album
    if (album.schedulers.has(follower.address)) return
    /** What the album's tabs were last told of this sync, so statuses that change nothing shown make no report. */
    let shown: string | undefined
    const scheduler = createFollowerSync({
      thread,
      follower,
      replica: db.syncReplica(),
      meta: backend.meta,
      ...(options.followerSync === undefined ? {} : { timing: options.followerSync }),
      onFollowed: () => { album.schedulers.get(follower.address)?.kick() },
      onStatus: (status) => {
        // Each report rebuilds the album for its tabs, and reports are spaced (album-changes.ts): one that shows nothing new would hold back the next that does.
        const key = shownStatusKey(status)
        if (key !== shown) {
          shown = key
          changes.changed(thread.id)
        }
        if (status.state === 'synced' && status.pending === 0) acks.acknowledged(thread.id)
        // A follower that serves this log no more knows of a removal not received here (it serves nothing to non-members).
        if (status.lastError?.name === 'NotAMemberError') refused.add(thread.id)
        else if (status.state === 'synced') refused.delete(thread.id)
        if (status.state === 'synced') snapshots.afterSync(thread, follower, status.pending === 0).catch((error: unknown) => { log.failure(`checking or publishing a snapshot of ${thread.id}`, error) })
        if (status.state === 'synced' && status.pending === 0 && unannounced.delete(thread.id)) {
          // Announcing is a courtesy: members who miss it still sync on their timer.
          announce(thread, status.held).catch((error: unknown) => { log.failure(`announcing records on ${thread.id}`, error) })
        }
      }
    })
    album.schedulers.set(follower.address, scheduler)
    await scheduler.start()
  }

  async function openAlbum (id: string): Promise<Album> {
    const thread = await db.openThread(id)
    thread.collection(PHOTOS, { schema: photoSchema, indexes: ['addedAt'], access: 'creator' })
    thread.subscribe(PHOTOS, {}, {}, () => {
      changes.changed(id)
      // An album whose originals this device keeps fetches those that arrive.
      if (options.media !== undefined) keepOriginalsOf(options.media, id, thread)
    })
    const schedulers = new Map<string, SyncScheduler>()
    const stopMembers = thread.members.onChange((members) => {
      changes.changed(id)
      // Once this device's join is admitted here, its name is written if the album does not show it yet.
      if (members.some((m) => m.log === thread.logId && m.role !== 'none')) {
        void prefs.name().then(async (name) => { if (await applyName(thread, name)) wrote(id, opened) })
          .catch((error: unknown) => { log.failure(`writing this person's name to ${id}`, error) })
      }
    })
    const opened: Album = { thread, schedulers, stopMembers }
    for (const follower of followers.values()) await syncWith(opened, follower)
    const known = await thread.addresses(thread.logId)
    if (known.length > 0) options.onFollowerAddresses?.(known)
    topics.subscribe(id)
    topicsJoined.add(id)
    direct?.track(id)
    return opened
  }

  /** Whether a follower came to hold every record of album `id` written here within a bounded wait (true at once without a follower). */
  async function sent (id: string): Promise<boolean> {
    const opened = await album(id)
    return opened.schedulers.size === 0 || await acks.wait(id, { kick: () => { kickAll(opened) }, timeoutMs: options.sendTimeoutMs ?? 20_000 })
  }

  /** Removes album `id` from this device: sync stopped, topic left, data and keys deleted. */
  async function forget (id: string): Promise<void> {
    forgetting.add(id)
    try {
      const opened = albums.get(id)
      albums.delete(id)
      unannounced.delete(id)
      if (topicsJoined.delete(id)) topics.unsubscribe(id)
      // An album that failed to open has no sync to stop; its stored data goes all the same.
      const held = await opened?.catch((error: unknown) => { log.failure(`opening ${id} before removing it`, error) })
      held?.stopMembers()
      await Promise.all([...(held?.schedulers.values() ?? [])].map(async (scheduler) => { await scheduler.stop() }))
      await db.forgetThread(id)
      await prefs.forget(id)
      await packs?.forget(id)
      options.tabViews?.forget(id)
    } finally {
      forgetting.delete(id)
    }
  }

  /** Whether album `id` holds every log at least as far as `heads` name. */
  async function holdsAll (id: string, heads: NonNullable<SyncHint['heads']>): Promise<boolean> {
    const local = new Map((await db.syncReplica().heads(id)).map((h) => [h.log, h.seq]))
    return heads.every((h) => (local.get(h.log) ?? 0) >= h.seq)
  }

  const kickAll = ({ schedulers }: Album, hint?: SyncHint): void => { for (const scheduler of schedulers.values()) scheduler.kick(hint) }

  /** After a local write: send it to the followers and to direct peers now (from what each acknowledged), and announce it once a follower has it. */
  const wrote = (id: string, opened: Album): void => {
    unannounced.add(id)
    kickAll(opened, {})
    direct?.kick(id, {})
  }

  /**
   * Tells the album's members that this device's records reached a follower,
   * and how far its log goes there (`held`), so they pull from there at once.
   * Said at once, with nothing read first: the album may be removed from this
   * device right after (a leave), and the others must still hear it.
   */
  async function announce (thread: ThreadDatabase, held: SyncStatus['held']): Promise<void> {
    const own = held?.find((h) => h.log === thread.logId)
    const heads = own === undefined ? {} : { heads: [{ log: own.log, seq: own.seq }] }
    await topics.publish(thread.id, encodeTopicMessage({ type: 'records', ...heads }))
  }

  async function snapshot (id: string): Promise<AlbumSnapshot> {
    const taken = ++revision
    const { thread, schedulers } = await album(id)
    // Read at once, not one after another: a report follows every change, the other side's included.
    const [threads, left, keepOriginals] = await Promise.all([db.listThreads(), prefs.left(id), options.media?.keeps(id)])
    const info = threads.find((t) => t.id === id)
    const since = direct?.since(id)
    const peers = since === undefined ? { direct: direct?.count(id) ?? 0 } : { direct: direct?.count(id) ?? 0, directSince: since }
    const refusedByFollower = refused.has(id)
    const view = await albumView({ thread, id, revision: taken, name: info?.name ?? 'Shared album', left, refusedByFollower, sync: syncView([...schedulers], peers) })
    return keepOriginals === undefined ? view : { ...view, keepOriginals }
  }

  /** How many photos album `id` holds and its cover (the newest with an image); nothing where it cannot be opened now (the list still names it). */
  async function albumSummary (id: string): Promise<{ photos?: number, cover?: string }> {
    try {
      const photos = photoViews((await album(id)).thread, [])
      const cover = photos.find((p) => p.hasImage)?.id
      return { photos: photos.length, ...(cover === undefined ? {} : { cover }) }
    } catch (error) {
      log.failure(`counting the photos of ${id}`, error)
      return {}
    }
  }

  const photoOf = (thread: ThreadDatabase, photo: string): Record<string, unknown> => {
    const found = thread.collection(PHOTOS).find({ _id: photo })[0]
    if (found === undefined) throw new PhotoNotFoundError(`There is no photo ${photo} in this album`)
    return found
  }

  const handlers: AlbumHandlers = {
    ...followerRequestHandlers({ resolve: options.resolveFollower, add: (address) => { options.onFollowerAddresses?.([address]) } }),
    'album.create': async ({ name }) => {
      running()
      const thread = await db.createThread({ name })
      const opened = await album(thread.id)
      if (await applyName(thread, await prefs.name())) wrote(thread.id, opened)
      return { type: 'album.created', thread: thread.id }
    },
    'album.list': async () => {
      running()
      const albums = await Promise.all((await db.listThreads()).map(async (t) => ({ id: t.id, name: t.name ?? 'Shared album', ...await albumSummary(t.id) })))
      options.tabViews?.list(albums)
      return { type: 'album.listed', albums }
    },
    'album.join': async ({ link }) => {
      running()
      const invite = parseInviteLink(link)
      const thread = await db.acceptInvite(invite)
      if (invite.addrs.length > 0) options.onFollowerAddresses?.(invite.addrs)
      // Shown from a follower's snapshot before the first sync, when one verifies: a large album shows at once.
      if (!albums.has(thread.id)) await snapshots.show(thread, [...followers.values()])
      // Its log opens with its join: the follow request and the first sync carry it to each follower, where the others find it.
      const opened = await album(thread.id)
      await applyName(thread, await prefs.name())
      // Once a follower holds the join, the members are told on the album's topic, and sync at once.
      unannounced.add(thread.id)
      kickAll(opened)
      changes.changed(thread.id)
      return { type: 'album.joined', thread: thread.id }
    },
    'photo.add': async (request) => {
      const { thread, title } = request
      const opened = await album(thread)
      const t = opened.thread
      const image = request.image === undefined ? {} : { image: request.image, imageType: request.imageType }
      // Who added it is the log that signs the record, not a field: nothing about the author is written here.
      const id = await asMember(t, 'add photos', async () => await t.collection(PHOTOS).create({ title, addedAt: Date.now(), ...image }), refused.has(thread))
      wrote(thread, opened)
      return { type: 'photo.added', photo: id }
    },
    'photo.image': async ({ thread, photo }) => {
      const { thread: t } = await album(thread)
      const found = photoOf(t, photo)
      if (!isImage(found.image, found.imageType)) throw new PhotoNotFoundError('This photo has no image that can be shown')
      return { type: 'photo.imageData', image: found.image as Uint8Array, imageType: found.imageType as string }
    },
    'photo.rename': async ({ thread, photo, title }) => {
      const opened = await album(thread)
      const t = opened.thread
      photoOf(t, photo)
      // One field changes: a concurrent rename elsewhere merges by the field's clock, the rest of the photo is untouched.
      await asMember(t, 'rename photos', async () => { await t.collection(PHOTOS).update(photo, { title }) }, refused.has(thread))
      wrote(thread, opened)
      return { type: 'photo.renamed', photo }
    },
    'photo.remove': async ({ thread, photo }) => {
      const opened = await album(thread)
      photoOf(opened.thread, photo)
      await asMember(opened.thread, 'remove photos', async () => { await opened.thread.collection(PHOTOS).delete(photo) }, refused.has(thread))
      wrote(thread, opened)
      return { type: 'photo.removed', photo }
    },
    'album.history': async ({ thread }) => {
      const { thread: t } = await album(thread)
      return { type: 'album.historyRead', thread, entries: await t.history() }
    },
    'album.subscribe': async ({ thread }, link) => {
      await album(thread)
      // The tab now follows this album alone; its subscription ends with its link.
      subscriptions.get(link)?.()
      const stop = changes.follow(thread, (report) => { link.emit(eventOf(thread, report)) })
      const end = (): void => { stop(); link.signal.removeEventListener('abort', end) }
      link.signal.addEventListener('abort', end, { once: true })
      subscriptions.set(link, end)
      return { type: 'album.subscribed', ...await snapshot(thread) }
    },
    ...memberHandlers({
      album,
      albums: async () => await db.listThreads(),
      prefs,
      wrote: (id) => { void albums.get(id)?.then((opened) => { wrote(id, opened) }) },
      sent,
      forget,
      changed: (id) => { changes.changed(id) }
    }),
    ...mediaHandlers({
      media: options.media,
      thumbnailReady: async (id, root) => await packs?.ready(id, root),
      album,
      write: async (id, doing, fn) => {
        const opened = await album(id)
        const result = await asMember(opened.thread, doing, async () => await fn(opened.thread), refused.has(id))
        wrote(id, opened)
        return result
      },
      changed: (id) => { changes.changed(id) }
    })
  }

  return {
    get state () { return lifecycle.state },
    start: async () => { await lifecycle.start() },
    stop: async () => { await lifecycle.stop() },
    handlers,
    syncReplica: () => db.syncReplica(),
    addFollower (follower) {
      if (followers.has(follower.address) || lifecycle.state === 'stopping' || lifecycle.state === 'stopped') return
      followers.set(follower.address, follower)
      for (const [id, opened] of albums) {
        opened.then(async (a) => { await syncWith(a, follower); changes.changed(id) }).catch((error: unknown) => { log.failure(`syncing ${id} with the follower ${follower.address}`, error) })
      }
    },
    followerChanged (address) {
      // An album that failed to open has no schedulers; its failure was reported to the tab that opened it.
      for (const opened of albums.values()) opened.then((a) => { a.schedulers.get(address)?.kick() }, (error: unknown) => { log.failure(`kicking the sync of an album that did not open with ${address}`, error) })
    }
  }
}

function eventOf (thread: string, report: AlbumReport): Parameters<LinkContext['emit']>[0] {
  return 'snapshot' in report
    ? { type: 'album.changed', ...report.snapshot }
    : { type: 'album.failed', thread, error: toWireError(report.error) }
}
