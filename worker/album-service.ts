/**
 * The photo album served by the background node: one database in IndexedDB,
 * one thread per album, each kept in sync with the follower in the background.
 * Tabs ask for an album's state with `album.watch`, which answers at once when
 * the state changed since the version they have, and otherwise when it next
 * changes (or after a while, unchanged), so tabs never poll storage.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { startDirectPeers } from './direct-peers.ts'
import type { WorkerNode } from './libp2p-node.ts'
import type { CarrierPool } from './rtc-bridge/carriers.ts'
import { PhotoNotFoundError } from './errors.ts'
import { decodeTopicMessage, encodeTopicMessage } from './topic-messages.ts'
import { workerLogger } from './log.ts'
import { openIdbBackend } from '../src/adapters/idb/index.ts'
import { libp2pSyncTransport, serveSync } from '../src/adapters/libp2p/sync-protocol.ts'
import { openDatabase, type ThreadDatabase } from '../src/core/db/index.ts'
import { createMemoryBackend } from '../src/core/storage/memory.ts'
import { createSyncHandler } from '../src/core/sync/handler.ts'
import { createInviteLink, parseInviteLink } from '../src/core/sync/invite.ts'
import type { SyncTransport } from '../src/core/sync/engine.ts'
import { startSyncScheduler, type SyncScheduler } from '../src/core/sync/scheduler.ts'
import { IMAGE_TYPES, isImage, type PhotoView, type SyncView } from '../src/protocol/album-messages.ts'
import type { RequestHandlers } from '../src/protocol/rpc-server.ts'
import { DATABASE_NAME } from '../src/protocol/shared-names.ts'

const WATCH_WAIT_MS = 20_000
const FOLLOWER_ADDRESS_TTL_MS = 7 * 24 * 3600 * 1000
const PHOTOS = 'photos'
const log = workerLogger('album-service')
// The image itself is bytes, which JSON Schema cannot describe; its format is checked here and its bytes when served.
const photoSchema = { type: 'object', properties: { title: { type: 'string', minLength: 1, maxLength: 500 }, addedAt: { type: 'number' }, by: { type: 'string' }, imageType: { enum: [...IMAGE_TYPES] } }, required: ['title', 'addedAt'] }

/**
 * Starts the album service; `follower` is the follower's multiaddr, if one was
 * found, and `carriers` the tabs that carry WebRTC connections to other browsers.
 */
export async function startAlbumService (deps: { node: WorkerNode, follower: string | undefined, carriers: CarrierPool }): Promise<Omit<RequestHandlers, 'hello'>> {
  const backend = await openIdbBackend({ name: DATABASE_NAME })
  const db = openDatabase({ backend })
  const opened = new Map<string, { thread: ThreadDatabase, scheduler?: SyncScheduler }>()
  /** Albums with local writes not yet announced on their topic. */
  const unannounced = new Set<string>()
  const pubsub = deps.node.services.pubsub
  // A version is compared for equality only, and starts from the clock, so a
  // version a tab got from an earlier node (before a handover or a restart)
  // is never taken for this node's current one.
  let version = Date.now()
  const waiters = new Set<() => void>()
  const changed = (): void => {
    version++
    for (const wake of [...waiters]) wake()
  }
  // Other browsers sync with this node directly, as they would with a follower.
  await serveSync(deps.node, createSyncHandler(db.syncReplica()))
  const direct = startDirectPeers({
    node: deps.node,
    carriers: deps.carriers,
    onChange: changed,
    startSync: (thread, peer) => startSyncScheduler({
      thread,
      peer: peer.toString(),
      transport: libp2pSyncTransport(deps.node, peer),
      replica: db.syncReplica(),
      // What a passing peer acknowledged need not outlive the connection.
      meta: createMemoryBackend().meta,
      intervalMs: 30_000,
      maxBackoffMs: 5000,
      onStatus: changed
    })
  })
  pubsub.addEventListener('message', (event) => {
    const { topic, data } = event.detail
    if (!opened.has(topic)) return
    direct.onTopicMessage(topic, event.detail.type === 'signed' ? event.detail.from : undefined, data)
    // Someone announced new records on a thread we hold: sync it now.
    if (decodeTopicMessage(data)?.type === 'records') {
      opened.get(topic)?.scheduler?.kick()
      direct.kick(topic)
    }
  })

  async function album (id: string): Promise<{ thread: ThreadDatabase, scheduler?: SyncScheduler }> {
    let entry = opened.get(id)
    if (entry !== undefined) return entry
    const thread = await db.openThread(id)
    thread.collection(PHOTOS, { schema: photoSchema, indexes: ['addedAt'] })
    thread.subscribe(PHOTOS, {}, {}, changed)
    entry = { thread }
    if (deps.follower !== undefined) {
      const follower = deps.follower
      const direct = libp2pSyncTransport(deps.node, multiaddr(follower))
      // The follower is asked to follow the album before the first sync that reaches it (it may be offline now).
      let followed = false
      const transport: SyncTransport = {
        async request (request, options) {
          if (!followed) {
            const answer = await direct.request(await thread.followRequest(), options)
            if (answer.type === 'following') {
              followed = true
              // A follower that follows our log is one more place it can be fetched from.
              await thread.addAddresses(thread.logId, [follower], FOLLOWER_ADDRESS_TTL_MS)
            }
          }
          return await direct.request(request, options)
        }
      }
      entry.scheduler = startSyncScheduler({
        thread: id,
        peer: deps.follower,
        transport,
        replica: db.syncReplica(),
        meta: backend.meta,
        // Gossip announcements and local writes start syncs at once; the timer is the safety net.
        intervalMs: 60_000,
        maxBackoffMs: 5000,
        onStatus: (status) => {
          changed()
          if (status.state === 'synced' && status.pending === 0 && unannounced.delete(id)) {
            pubsub.publish(id, encodeTopicMessage({ type: 'records' })).catch((error: unknown) => { log.failure(`announcing records on ${id}`, error) })
          }
        }
      })
    }
    opened.set(id, entry)
    pubsub.subscribe(id)
    direct.track(id)
    return entry
  }

  /** After a local write: send it to the follower and to direct peers now, and announce it once the follower has it. */
  const wrote = (id: string, scheduler?: SyncScheduler): void => {
    unannounced.add(id)
    scheduler?.kick()
    direct.kick(id)
  }

  const syncView = (id: string, scheduler?: SyncScheduler): SyncView => {
    const since = direct.since(id)
    const peers = since === undefined ? { direct: direct.count(id) } : { direct: direct.count(id), directSince: since }
    if (scheduler === undefined) return { state: 'no-follower', pending: 0, ...peers, message: 'No follower found: photos stay on this device until one is reachable.' }
    const status = scheduler.status()
    const progress = status.progress === undefined ? {} : { progress: { phase: status.progress.phase, done: status.progress.done, total: status.progress.total } }
    const message = status.lastError === undefined ? {} : { message: status.lastError.message }
    return { state: status.state, pending: status.pending, ...peers, ...progress, ...message }
  }

  const state = async (id: string): Promise<{ type: 'album.state', version: number, name: string, photos: PhotoView[], sync: SyncView }> => {
    const { thread, scheduler } = await album(id)
    const info = (await db.listThreads()).find((t) => t.id === id)
    const photos = thread.collection(PHOTOS).find({}, { sort: { addedAt: -1 } }).map((d) => ({ id: d._id, title: String(d.title), addedAt: Number(d.addedAt), by: String(d.by ?? ''), hasImage: isImage(d.image, d.imageType) }))
    return { type: 'album.state', version, name: info?.name ?? 'Shared album', photos, sync: syncView(id, scheduler) }
  }

  return {
    'album.create': async ({ name }) => {
      const thread = await db.createThread({ name })
      await album(thread.id)
      changed()
      return { type: 'album.created', thread: thread.id }
    },
    'album.list': async () => ({ type: 'album.listed', albums: (await db.listThreads()).map((t) => ({ id: t.id, name: t.name ?? 'Shared album' })) }),
    'album.join': async ({ link }) => {
      const invite = parseInviteLink(link)
      const thread = await db.acceptInvite(invite)
      const { scheduler } = await album(thread.id)
      if (deps.follower !== undefined) {
        await libp2pSyncTransport(deps.node, multiaddr(deps.follower)).request({ v: 2, type: 'announce', thread: thread.id, announcement: await thread.joinAnnouncement() })
      }
      scheduler?.kick()
      changed()
      return { type: 'album.joined', thread: thread.id }
    },
    'album.invite': async ({ thread, base }) => {
      const { thread: t } = await album(thread)
      const name = (await db.listThreads()).find((info) => info.id === thread)?.name
      const invite = await t.invite()
      return { type: 'album.invited', link: createInviteLink(base, name === undefined ? invite : { ...invite, name }) }
    },
    'photo.add': async (request) => {
      const { thread, title } = request
      const { thread: t, scheduler } = await album(thread)
      const image = request.image === undefined ? {} : { image: request.image, imageType: request.imageType }
      const id = await t.collection(PHOTOS).create({ title, addedAt: Date.now(), by: t.logId.slice(-6), ...image })
      wrote(thread, scheduler)
      return { type: 'photo.added', photo: id }
    },
    'photo.image': async ({ thread, photo }) => {
      const { thread: t } = await album(thread)
      const found = t.collection(PHOTOS).find({ _id: photo })[0]
      if (found === undefined) throw new PhotoNotFoundError(`There is no photo ${photo} in this album`)
      if (!isImage(found.image, found.imageType)) throw new PhotoNotFoundError('This photo has no image that can be shown')
      return { type: 'photo.imageData', image: found.image as Uint8Array, imageType: found.imageType as string }
    },
    'photo.rename': async ({ thread, photo, title }) => {
      const { thread: t, scheduler } = await album(thread)
      if (!t.collection(PHOTOS).has(photo)) throw new PhotoNotFoundError(`There is no photo ${photo} in this album`)
      // One field changes: a concurrent rename elsewhere merges by the field's clock, the rest of the photo is untouched.
      await t.collection(PHOTOS).update(photo, { title })
      wrote(thread, scheduler)
      return { type: 'photo.renamed', photo }
    },
    'photo.remove': async ({ thread, photo }) => {
      const { thread: t, scheduler } = await album(thread)
      if (!t.collection(PHOTOS).has(photo)) throw new PhotoNotFoundError(`There is no photo ${photo} in this album`)
      await t.collection(PHOTOS).delete(photo)
      wrote(thread, scheduler)
      return { type: 'photo.removed', photo }
    },
    'album.watch': async ({ thread, since }) => {
      await album(thread)
      if (version === since) {
        await new Promise<void>((resolve) => {
          const wake = (): void => { waiters.delete(wake); clearTimeout(timer); resolve() }
          const timer = setTimeout(wake, WATCH_WAIT_MS)
          waiters.add(wake)
        })
      }
      return await state(thread)
    }
  }
}
