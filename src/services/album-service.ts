/**
 * The photo album a background node serves to its tabs: one database over an
 * injected storage backend, one thread per album, each kept in sync with the
 * follower (asked to follow an album before the first sync that reaches it)
 * and with directly connected browsers, announced on the album's topic once
 * the follower holds a local write. Tabs follow an album with `album.subscribe`
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
import type { SyncScheduler } from '../core/sync/scheduler.ts'
import { isImage, type AlbumSnapshot } from '../protocol/album-messages.ts'
import { toWireError } from '../protocol/errors.ts'
import type { LinkContext, RequestHandlers } from '../protocol/rpc-server.ts'
import { createAlbumChanges, type AlbumReport } from './album-changes.ts'
import { applyName, asMember, memberHandlers } from './album-members.ts'
import { createAlbumPrefs } from './album-prefs.ts'
import { albumView, PHOTOS, photoSchema, syncView } from './album-snapshot.ts'
import { createFollowerSync, type FollowerPeer, type FollowerSyncTiming } from './album-sync.ts'
import type { DirectPeers } from './direct-peers.ts'
import { createFollowerAcks } from './follower-acks.ts'
import { PhotoNotFoundError } from './errors.ts'
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
  /** The follower, if one was found; without one, albums stay on this device. */
  readonly follower?: FollowerPeer
  /** One topic per album, for "sync now" announcements and direct peers' presence. */
  readonly topics: Topics
  /** Makes the direct peers (browsers connected over WebRTC), where the host has any. */
  readonly direct?: (hooks: DirectPeerHooks) => DirectPeers
  /** How often follower syncs run unprompted, and their longest backoff. */
  readonly followerSync?: FollowerSyncTiming
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
}

interface Album {
  readonly thread: ThreadDatabase
  readonly scheduler?: SyncScheduler
  /** Stops telling the album's followers about membership changes. */
  readonly stopMembers: () => void
}

/** Makes the album service; it serves once started. */
export function createAlbumService (options: AlbumServiceOptions): AlbumService {
  const { backend, follower, topics } = options
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
  /** Album topics joined, to leave on stop. */
  const topicsJoined = new Set<string>()
  // Revisions start from the clock, so a node that took over from another (the
  // fallback's handover, a restart) reports revisions newer than the old one's.
  let revision = Date.now()
  let direct: DirectPeers | undefined
  let stopListening: (() => void) | undefined

  const changes = createAlbumChanges(async (id) => await snapshot(id))

  const lifecycle = createLifecycle({
    what: 'The album service',
    start: async () => {
      stopListening = topics.onMessage(({ topic, from, data }) => {
        if (!albums.has(topic)) return
        direct?.onTopicMessage(topic, from, data)
        // Someone announced new records on an album we hold: sync it now.
        if (decodeTopicMessage(data)?.type === 'records') {
          void albums.get(topic)?.then(({ scheduler }) => { scheduler?.kick() })
          direct?.kick(topic)
        }
      })
      direct = options.direct?.({ replica: db.syncReplica(), onChange: () => { changes.changed() } })
      await direct?.start()
    },
    stop: async () => {
      stopListening?.()
      changes.close()
      const opened = await Promise.allSettled([...albums.values()])
      albums.clear()
      for (const result of opened) if (result.status === 'fulfilled') result.value.stopMembers()
      for (const id of topicsJoined) topics.unsubscribe(id)
      topicsJoined.clear()
      await Promise.all([
        direct?.stop(),
        ...opened.map(async (result) => { if (result.status === 'fulfilled') await result.value.scheduler?.stop() })
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

  async function openAlbum (id: string): Promise<Album> {
    const thread = await db.openThread(id)
    thread.collection(PHOTOS, { schema: photoSchema, indexes: ['addedAt'] })
    thread.subscribe(PHOTOS, {}, {}, () => { changes.changed(id) })
    const stopMembers = thread.members.onChange((members) => {
      changes.changed(id)
      // Once this device's join is admitted here, its name is written if the album does not show it yet.
      if (members.some((m) => m.log === thread.logId && m.role !== 'none')) {
        void prefs.name().then(async (name) => { if (await applyName(thread, name)) wrote(id, scheduler) })
          .catch((error: unknown) => { log.failure(`writing this person's name to ${id}`, error) })
      }
    })
    const scheduler = follower === undefined
      ? undefined
      : createFollowerSync({
        thread,
        follower,
        replica: db.syncReplica(),
        meta: backend.meta,
        ...(options.followerSync === undefined ? {} : { timing: options.followerSync }),
        onFollowed: () => { void albums.get(id)?.then(({ scheduler }) => { scheduler?.kick() }) },
        onStatus: (status) => {
          changes.changed(id)
          if (status.state === 'synced' && status.pending === 0) acks.acknowledged(id)
          if (status.state === 'synced' && status.pending === 0 && unannounced.delete(id)) {
            // Announcing is a courtesy: members who miss it still sync on their timer.
            topics.publish(id, encodeTopicMessage({ type: 'records' })).catch((error: unknown) => { log.failure(`announcing records on ${id}`, error) })
          }
        }
      })
    await scheduler?.start()
    topics.subscribe(id)
    topicsJoined.add(id)
    direct?.track(id)
    return scheduler === undefined ? { thread, stopMembers } : { thread, scheduler, stopMembers }
  }

  /** Whether the follower came to hold every record of album `id` written here within a bounded wait (true at once without a follower). */
  async function sent (id: string): Promise<boolean> {
    const { scheduler } = await album(id)
    return scheduler === undefined || await acks.wait(id, { kick: () => { scheduler.kick() }, timeoutMs: options.sendTimeoutMs ?? 20_000 })
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
      await held?.scheduler?.stop()
      await db.forgetThread(id)
      await prefs.forget(id)
    } finally {
      forgetting.delete(id)
    }
  }

  /** After a local write: send it to the follower and to direct peers now, and announce it once the follower has it. */
  const wrote = (id: string, scheduler?: SyncScheduler): void => {
    unannounced.add(id)
    scheduler?.kick()
    direct?.kick(id)
  }

  async function snapshot (id: string): Promise<AlbumSnapshot> {
    const taken = ++revision
    const { thread, scheduler } = await album(id)
    const info = (await db.listThreads()).find((t) => t.id === id)
    const since = direct?.since(id)
    const peers = since === undefined ? { direct: direct?.count(id) ?? 0 } : { direct: direct?.count(id) ?? 0, directSince: since }
    return albumView({ thread, id, revision: taken, name: info?.name ?? 'Shared album', left: await prefs.left(id), refusedByFollower: scheduler?.status().lastError?.name === 'NotAMemberError', sync: syncView(scheduler, peers) })
  }

  const photoOf = (thread: ThreadDatabase, photo: string): Record<string, unknown> => {
    const found = thread.collection(PHOTOS).find({ _id: photo })[0]
    if (found === undefined) throw new PhotoNotFoundError(`There is no photo ${photo} in this album`)
    return found
  }

  const handlers: AlbumHandlers = {
    'album.create': async ({ name }) => {
      running()
      const thread = await db.createThread({ name })
      const { scheduler } = await album(thread.id)
      if (await applyName(thread, await prefs.name())) wrote(thread.id, scheduler)
      return { type: 'album.created', thread: thread.id }
    },
    'album.list': async () => {
      running()
      return { type: 'album.listed', albums: (await db.listThreads()).map((t) => ({ id: t.id, name: t.name ?? 'Shared album' })) }
    },
    'album.join': async ({ link }) => {
      running()
      const thread = await db.acceptInvite(parseInviteLink(link))
      // Its log opens with its join: the follow request and the first sync carry it to the follower, where the others find it.
      const { scheduler } = await album(thread.id)
      await applyName(thread, await prefs.name())
      // Once the follower holds the join, the members are told on the album's topic, and sync at once.
      unannounced.add(thread.id)
      scheduler?.kick()
      changes.changed(thread.id)
      return { type: 'album.joined', thread: thread.id }
    },
    'photo.add': async (request) => {
      const { thread, title } = request
      const { thread: t, scheduler } = await album(thread)
      const image = request.image === undefined ? {} : { image: request.image, imageType: request.imageType }
      // Who added it is the log that signs the record, not a field: nothing about the author is written here.
      const id = await asMember(t, 'add photos', async () => await t.collection(PHOTOS).create({ title, addedAt: Date.now(), ...image }))
      wrote(thread, scheduler)
      return { type: 'photo.added', photo: id }
    },
    'photo.image': async ({ thread, photo }) => {
      const { thread: t } = await album(thread)
      const found = photoOf(t, photo)
      if (!isImage(found.image, found.imageType)) throw new PhotoNotFoundError('This photo has no image that can be shown')
      return { type: 'photo.imageData', image: found.image as Uint8Array, imageType: found.imageType as string }
    },
    'photo.rename': async ({ thread, photo, title }) => {
      const { thread: t, scheduler } = await album(thread)
      photoOf(t, photo)
      // One field changes: a concurrent rename elsewhere merges by the field's clock, the rest of the photo is untouched.
      await asMember(t, 'rename photos', async () => { await t.collection(PHOTOS).update(photo, { title }) })
      wrote(thread, scheduler)
      return { type: 'photo.renamed', photo }
    },
    'photo.remove': async ({ thread, photo }) => {
      const { thread: t, scheduler } = await album(thread)
      photoOf(t, photo)
      await asMember(t, 'remove photos', async () => { await t.collection(PHOTOS).delete(photo) })
      wrote(thread, scheduler)
      return { type: 'photo.removed', photo }
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
      wrote: (id) => { void albums.get(id)?.then(({ scheduler }) => { wrote(id, scheduler) }) },
      sent,
      forget,
      changed: (id) => { changes.changed(id) }
    })
  }

  return {
    get state () { return lifecycle.state },
    start: async () => { await lifecycle.start() },
    stop: async () => { await lifecycle.stop() },
    handlers,
    syncReplica: () => db.syncReplica()
  }
}

function eventOf (thread: string, report: AlbumReport): Parameters<LinkContext['emit']>[0] {
  return 'snapshot' in report
    ? { type: 'album.changed', ...report.snapshot }
    : { type: 'album.failed', thread, error: toWireError(report.error) }
}
