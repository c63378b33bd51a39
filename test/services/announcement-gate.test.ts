/**
 * Who can make a browser sync by saying "sync now" on an album's topic. Over
 * real libp2p connections: a stranger connected straight to the node (as
 * anyone may be over WebRTC) floods the album's topic with announcements and
 * starts no sync at all, while a member who proved itself in a sync the node
 * served is heard at once. And a member flooding announcements starts at
 * most one sync every few seconds, its first at once; one flooding
 * announcements of heads makes at most one pull at a time, and one every few
 * seconds once its heads prove false, while another member's announcement is
 * followed at once.
 */
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { createLibp2p, type Libp2p } from 'libp2p'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { withBaseOptions } from '../../src/adapters/libp2p/base-options.ts'
import { libp2pSyncTransport, serveSync } from '../../src/adapters/libp2p/sync-protocol.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { createSyncHandler } from '../../src/core/sync/handler.ts'
import { syncThread, type SyncTransport } from '../../src/core/sync/engine.ts'
import { parseInviteLink } from '../../src/core/sync/invite.ts'
import { ANNOUNCEMENT_INTERVAL_MS } from '../../src/services/announcement-limit.ts'
import { encodeTopicMessage } from '../../src/services/topic-messages.ts'
import { createTopicSpeakers, notingSpeakers } from '../../src/services/topic-speakers.ts'
import { pubsubTopics } from '../../src/services/topics.ts'
import { startAlbumNode, type AlbumNode } from '../helpers/album-node.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { memoryTopicBus } from '../helpers/memory-topics.ts'

const WAIT = { timeout: 30_000, interval: 20 }
const SYNC_NOW = encodeTopicMessage({ type: 'records' })

type PubsubNode = Libp2p<{ pubsub: GossipSub }>

const stops: Array<() => Promise<void>> = []
afterEach(async () => { for (const stop of stops.splice(0).reverse()) await stop() })

async function pubsubNode (listen: boolean): Promise<PubsubNode> {
  const node: PubsubNode = await createLibp2p(withBaseOptions({
    ...(listen ? { addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] } } : {}),
    services: { pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) }
  }))
  stops.push(async () => { await node.stop() })
  return node
}

/** A transport to the follower that counts the syncs it sees start (each full sync opens with a heads request). */
function countingSyncs (transport: SyncTransport): { transport: SyncTransport, syncs: () => number } {
  let syncs = 0
  return { syncs: () => syncs, transport: { request: async (request, options) => { if (request.type === 'heads') syncs++; return await transport.request(request, options) } } }
}

async function albumNode (options: Parameters<typeof startAlbumNode>[0]): Promise<AlbumNode> {
  const node = await startAlbumNode(options)
  stops.push(async () => { await node.close() })
  return node
}

async function synced (node: AlbumNode, thread: string): Promise<void> {
  await vi.waitFor(async () => { expect((await node.tab.request({ type: 'album.subscribe', thread })).sync).toMatchObject({ state: 'synced', pending: 0 }) }, WAIT)
}

describe('announcements on an album\'s topic', { timeout: 120_000 }, () => {
  it('a stranger connected directly starts no sync, however many it sends; a proven member starts one at once', async () => {
    // Bob's browser node: gossipsub on a real libp2p node, serving sync to members and noting who proved membership.
    const bobNode = await pubsubNode(true)
    const speakers = createTopicSpeakers()
    const validated: string[] = []
    const trust = {
      maySpeak: (thread: string, author: string) => { validated.push(author); return speakers.maySpeak(thread, author) },
      isFollower: () => false
    }
    const follower = countingSyncs(memoryFollower().transport)
    const bob = await albumNode({ follower: follower.transport, topics: pubsubTopics(bobNode.services.pubsub, trust) })
    await serveSync(bobNode, notingSpeakers(createSyncHandler(bob.service.syncReplica()), speakers))
    const { thread } = await bob.tab.request({ type: 'album.create', name: 'Summer' })
    await bob.tab.request({ type: 'photo.add', thread, title: 'beach' })
    await synced(bob, thread)
    const { link } = await bob.tab.request({ type: 'album.invite', thread, base: 'http://127.0.0.1:4173/', role: 'write' })
    const before = follower.syncs()

    // Mallory knows the album's ID, connects to Bob directly and says "sync now" again and again.
    const mallory = await pubsubNode(false)
    mallory.services.pubsub.subscribe(thread)
    await mallory.dial(bobNode.getMultiaddrs())
    await vi.waitFor(() => { expect(mallory.services.pubsub.getSubscribers(thread).map(String)).toContain(bobNode.peerId.toString()) }, WAIT)
    const flood = 30
    for (let i = 0; i < flood; i++) await mallory.services.pubsub.publish(thread, SYNC_NOW)
    // Every one of them reached Bob's node (or, were they heard, made it sync).
    await vi.waitFor(() => { expect(validated.filter((p) => p === mallory.peerId.toString()).length === flood || follower.syncs() > before).toBe(true) }, WAIT)

    // Alice, a member, syncs with Bob once (her pull proof names her peer), then announces once.
    const aliceDb = openDatabase({ backend: createMemoryBackend() })
    stops.push(async () => { await aliceDb.close() })
    const alice = await pubsubNode(false)
    await aliceDb.acceptInvite(parseInviteLink(link))
    alice.services.pubsub.subscribe(thread)
    await alice.dial(bobNode.getMultiaddrs())
    await syncThread({ thread, replica: aliceDb.syncReplica(), transport: libp2pSyncTransport(alice, bobNode.getMultiaddrs()) })
    expect(speakers.maySpeak(thread, alice.peerId.toString())).toBe(true)
    expect(follower.syncs()).toBe(before) // Mallory's words, long heard, started nothing
    await vi.waitFor(() => { expect(alice.services.pubsub.getSubscribers(thread).map(String)).toContain(bobNode.peerId.toString()) }, WAIT)
    await alice.services.pubsub.publish(thread, SYNC_NOW)

    // Bob syncs with his follower once, on Alice's word: none of Mallory's started one.
    await vi.waitFor(() => { expect(follower.syncs()).toBeGreaterThan(before) }, WAIT)
    await synced(bob, thread)
    expect(follower.syncs() - before).toBe(1)
  })

  it('a member flooding announcements without heads starts its first sync at once and at most one more per interval', async () => {
    const f = memoryFollower()
    const bus = memoryTopicBus()
    const follower = countingSyncs(f.transport)
    const bobTopics = bus.join().topics
    let heard = 0
    bobTopics.onMessage(() => { heard++ })
    const bob = await albumNode({ follower: follower.transport, topics: bobTopics })
    const { thread } = await bob.tab.request({ type: 'album.create', name: 'Summer' })
    await bob.tab.request({ type: 'photo.add', thread, title: 'beach' })
    await synced(bob, thread)
    const carol = bus.join().topics
    carol.subscribe(thread)
    const before = follower.syncs()

    // The first announcement: a sync at once, long before the interval is over.
    const started = Date.now()
    await carol.publish(thread, SYNC_NOW)
    await vi.waitFor(() => { expect(follower.syncs()).toBe(before + 1) }, WAIT)
    await synced(bob, thread)
    // Then one announcement after another, each once Bob heard the last and is done syncing: without a limit, each would start a sync.
    const more = 20
    for (let i = 1; i <= more; i++) {
      await carol.publish(thread, SYNC_NOW)
      await vi.waitFor(() => { expect(heard).toBe(i + 1) }, WAIT)
      await synced(bob, thread)
    }
    const elapsed = Date.now() - started
    await vi.waitFor(() => { expect(follower.syncs()).toBeGreaterThanOrEqual(before + 2) }, WAIT) // the last word of the burst is still acted on
    await synced(bob, thread)
    expect(follower.syncs() - before).toBeLessThanOrEqual(2 + Math.ceil(elapsed / ANNOUNCEMENT_INTERVAL_MS))
  })

  it('a member flooding announcements of heads nobody holds makes one pull at a time and one per interval; another member\'s announcement is pulled at once', async () => {
    const f = memoryFollower()
    const bus = memoryTopicBus()
    let pulls = 0
    let now = 0
    let most = 0
    const follower: SyncTransport = {
      request: async (request, options) => {
        if (request.type !== 'pull') return await f.transport.request(request, options)
        pulls++
        most = Math.max(most, ++now)
        try {
          return await f.transport.request(request, options)
        } finally {
          now--
        }
      }
    }
    const bobTopics = bus.join().topics
    let heard = 0
    bobTopics.onMessage(() => { heard++ })
    const bob = await albumNode({ follower, topics: bobTopics })
    const { thread } = await bob.tab.request({ type: 'album.create', name: 'Summer' })
    await bob.tab.request({ type: 'photo.add', thread, title: 'beach' })
    await synced(bob, thread)
    const { log, seq } = (await f.replica.heads(thread))[0]!
    const carol = bus.join().topics
    const dave = bus.join().topics
    const before = pulls

    // Carol names heads of Bob's log far past any record of it, again and again, each once Bob heard the last.
    const started = Date.now()
    const flood = 100
    for (let i = 1; i <= flood; i++) {
      await carol.publish(thread, encodeTopicMessage({ type: 'records', heads: [{ log, seq: seq + 1000 + i }] }))
      await vi.waitFor(() => { expect(heard).toBe(i) }, WAIT)
    }
    // Dave, meanwhile, is pulled for at once: his word waits for none of Carol's.
    const daves = pulls
    await dave.publish(thread, encodeTopicMessage({ type: 'records', heads: [{ log, seq: seq + 5 }] }))
    await vi.waitFor(() => { expect(pulls).toBeGreaterThan(daves) }, WAIT)
    const elapsed = Date.now() - started
    await synced(bob, thread)
    // One pull for her first word, then at most one per interval for all the others; Dave's one; never two at once.
    expect(pulls - before).toBeLessThanOrEqual(2 + Math.ceil(elapsed / ANNOUNCEMENT_INTERVAL_MS) + 1)
    expect(most).toBe(1)
    // Nothing was lost: Bob still holds what he held, and syncs.
    expect((await bob.tab.request({ type: 'album.subscribe', thread })).sync).toMatchObject({ state: 'synced', pending: 0 })
  })
})
