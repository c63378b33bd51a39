/**
 * The album service in Node, as tabs meet it (over a MessageChannel), on
 * memory storage with followers behind the loopback transport: it asks the
 * follower to follow an album before the first sync, lets a joiner's log
 * reach the others through the follower (its join carried by its follow
 * request), says in words when the follower cannot take the album, syncs on
 * local changes and on other members' announcements, finds other browsers on an album's topic and syncs with
 * them directly, pushes every change to the tab following the album, and
 * stops cleanly.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import type { SyncTransport } from '../../src/core/sync/engine.ts'
import { createSyncHandler } from '../../src/core/sync/handler.ts'
import { createLoopbackTransport } from '../helpers/loopback.ts'
import { createStoreReplica } from '../../src/core/sync/replica.ts'
import type { SyncRequest } from '../../src/core/sync/messages.ts'
import type { HandledRequest } from '../../src/core/sync/handler.ts'
import type { DirectPeerHooks } from '../../src/services/album-service.ts'
import { createDirectPeers } from '../../src/services/direct-peers.ts'
import { startDirectSync } from '../../src/services/direct-sync.ts'
import { REPORT_EVERY_MS } from '../../src/services/album-changes.ts'
import type { AlbumSnapshot } from '../../src/protocol/album-messages.ts'
import type { NodeEvent } from '../../src/protocol/messages.ts'
import { startAlbumNode, type AlbumNode } from '../helpers/album-node.ts'
import { carrierChanges, fakeNode, orderedPeers } from '../helpers/fake-libp2p-node.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { memoryTopicBus } from '../helpers/memory-topics.ts'

const WAIT = { timeout: 30_000, interval: 20 }
const nodes: AlbumNode[] = []
afterEach(async () => { for (const node of nodes.splice(0)) await node.close() })

async function node (options: Parameters<typeof startAlbumNode>[0]): Promise<AlbumNode> {
  const started = await startAlbumNode(options)
  nodes.push(started)
  return started
}

/** A transport that notes the type of every request it passes on, in order. */
function noting (transport: SyncTransport): { transport: SyncTransport, seen: string[] } {
  const seen: string[] = []
  return { seen, transport: { request: async (request, options) => { seen.push(request.type); return await transport.request(request, options) } } }
}

/** Everything the tab is pushed about an album, newest last. */
function heard (album: AlbumNode): AlbumSnapshot[] {
  const snapshots: AlbumSnapshot[] = []
  album.tab.onEvent((event: NodeEvent) => { if (event.type === 'album.changed') snapshots.push(event) })
  return snapshots
}

const titles = (snapshot: AlbumSnapshot | undefined): string[] => snapshot?.photos.map((p) => p.title).sort() ?? []

describe('album service', { timeout: 120_000 }, () => {
  it('asks the follower to follow an album before its first sync, and the follower then holds its photos', async () => {
    const follower = memoryFollower()
    const wire = noting(follower.transport)
    const alice = await node({ follower: wire.transport, topics: memoryTopicBus().join().topics })
    const { thread } = await alice.tab.request({ type: 'album.create', name: 'Summer' })
    await alice.tab.request({ type: 'photo.add', thread, title: 'beach' })

    await vi.waitFor(async () => { expect((await follower.replica.heads(thread)).length).toBeGreaterThan(0) }, WAIT)
    expect(wire.seen[0]).toBe('follow')
    expect(wire.seen.filter((type) => type === 'follow')).toEqual(['follow']) // asked once, answered `following`
    const state = await alice.tab.request({ type: 'album.subscribe', thread })
    await vi.waitFor(async () => { expect((await alice.tab.request({ type: 'album.subscribe', thread })).sync).toMatchObject({ state: 'synced', pending: 0 }) }, WAIT)
    expect(state).toMatchObject({ thread, name: 'Summer', photos: [expect.objectContaining({ title: 'beach' })] })
  })

  it('a joiner\'s log reaches the follower with its join, and each member is pushed the others\' changes as they sync', async () => {
    const follower = memoryFollower()
    const bus = memoryTopicBus()
    const alice = await node({ follower: follower.transport, topics: bus.join().topics })
    const bob = await node({ follower: follower.transport, topics: bus.join().topics })
    const { thread } = await alice.tab.request({ type: 'album.create', name: 'Summer' })
    await alice.tab.request({ type: 'photo.add', thread, title: 'beach' })
    await vi.waitFor(async () => { expect((await follower.replica.heads(thread)).length).toBeGreaterThan(0) }, WAIT)
    const { link } = await alice.tab.request({ type: 'album.invite', thread, base: 'http://127.0.0.1:4173/', role: 'write' })

    const toAlice = heard(alice)
    await alice.tab.request({ type: 'album.subscribe', thread })
    const toBob = heard(bob)
    expect(await bob.tab.request({ type: 'album.join', link })).toMatchObject({ type: 'album.joined', thread })
    await vi.waitFor(async () => { expect((await follower.replica.heads(thread)).length).toBe(2) }, WAIT) // alice's log, and bob's from its join
    await bob.tab.request({ type: 'album.subscribe', thread })
    await vi.waitFor(() => { expect(titles(toBob.at(-1))).toEqual(['beach']) }, WAIT)

    // Bob's photo reaches the follower, bob says so on the album's topic, and alice syncs at once (her timer is ten minutes).
    await bob.tab.request({ type: 'photo.add', thread, title: 'dunes' })
    await vi.waitFor(() => { expect(titles(toAlice.at(-1))).toEqual(['beach', 'dunes']) }, WAIT)
    await alice.tab.request({ type: 'photo.remove', thread, photo: toAlice.at(-1)!.photos.find((p) => p.title === 'beach')!.id })
    await vi.waitFor(() => { expect(titles(toBob.at(-1))).toEqual(['dunes']) }, WAIT)
    // Reports only ever move forward.
    expect(toBob.map((s) => s.revision)).toEqual([...toBob.map((s) => s.revision)].sort((a, b) => a - b))
  })

  it('tells a tab of each photo a pull brings once, with the sync as it stands: a pull from what the follower acknowledged shows no "syncing"', async () => {
    const follower = memoryFollower()
    const bus = memoryTopicBus()
    const alice = await node({ follower: follower.transport, topics: bus.join().topics })
    // Bob's answers from the follower, counted as he takes them.
    let answered = 0
    const bobWire: SyncTransport = { request: async (request, options) => { const answer = await follower.transport.request(request, options); answered++; return answer } }
    const bob = await node({ follower: bobWire, topics: bus.join().topics })
    const { thread } = await alice.tab.request({ type: 'album.create', name: 'Summer' })
    const { link } = await alice.tab.request({ type: 'album.invite', thread, base: 'http://127.0.0.1:4173/', role: 'write' })
    await bob.tab.request({ type: 'album.join', link })
    await vi.waitFor(async () => { expect((await bob.tab.request({ type: 'album.subscribe', thread })).sync).toMatchObject({ state: 'synced', pending: 0 }) }, WAIT)
    const toBob = heard(bob)
    // Each photo reaches bob by a pull from the follower, whose sync then stands as it did before: synced, nothing waiting.
    for (const title of ['one', 'two', 'three', 'four']) {
      const before = answered
      await alice.tab.request({ type: 'photo.add', thread, title })
      await vi.waitFor(() => { expect(titles(toBob.at(-1))).toContain(title) }, WAIT)
      // Once his pull was answered, a round of reports later, any report of that sync's end would have come.
      await vi.waitFor(() => { expect(answered).toBeGreaterThan(before) }, WAIT)
      await new Promise((resolve) => setTimeout(resolve, 2 * REPORT_EVERY_MS))
    }
    // (What the join set going may still be reported first, without photos.)
    const withPhotos = toBob.filter((s) => s.photos.length > 0)
    expect(withPhotos.map((s) => s.photos.length)).toEqual([1, 2, 3, 4])
    expect(withPhotos.map((s) => s.sync)).toEqual(withPhotos.map(() => expect.objectContaining({ state: 'synced', pending: 0 })))
  })

  it('joins all the same when the follower cannot take the album, and says why in words in the sync status', async () => {
    const follower = memoryFollower()
    const alice = await node({ follower: follower.transport, topics: memoryTopicBus().join().topics })
    const { thread } = await alice.tab.request({ type: 'album.create', name: 'Summer' })
    const { link } = await alice.tab.request({ type: 'album.invite', thread, base: 'http://127.0.0.1:4173/', role: 'write' })

    // A peer that does not follow threads for others: it holds no album, so every sync with it is refused.
    const backend = createMemoryBackend()
    const keys = createKeyBook(backend.meta)
    const plain = createLoopbackTransport(createSyncHandler(createStoreReplica({ records: createRecordStore({ backend }), keys })))
    const bob = await node({ follower: plain, topics: memoryTopicBus().join().topics })
    expect(await bob.tab.request({ type: 'album.join', link })).toMatchObject({ type: 'album.joined', thread })
    expect((await bob.tab.request({ type: 'album.list' })).albums.map((a) => a.id)).toEqual([thread])
    await vi.waitFor(async () => {
      expect((await bob.tab.request({ type: 'album.subscribe', thread })).sync).toMatchObject({ state: 'offline', message: expect.stringMatching(/ThreadNotFoundError: thread .* is not held here/) })
    }, WAIT)
  })

  it('pushes changes only for the album a tab follows, and moves the subscription when the tab opens another', async () => {
    const alice = await node({ topics: memoryTopicBus().join().topics })
    const first = (await alice.tab.request({ type: 'album.create', name: 'One' })).thread
    const second = (await alice.tab.request({ type: 'album.create', name: 'Two' })).thread
    const events = heard(alice)
    const subscribed = await alice.tab.request({ type: 'album.subscribe', thread: first })
    expect(subscribed.sync).toMatchObject({ state: 'no-follower' })
    await alice.tab.request({ type: 'photo.add', thread: first, title: 'a' })
    await vi.waitFor(() => { expect(titles(events.at(-1))).toEqual(['a']) }, WAIT)

    await alice.tab.request({ type: 'album.subscribe', thread: second })
    const before = events.length
    await alice.tab.request({ type: 'photo.add', thread: first, title: 'b' })
    await alice.tab.request({ type: 'photo.add', thread: second, title: 'c' })
    await vi.waitFor(() => { expect(events.at(-1)).toMatchObject({ thread: second, photos: [expect.objectContaining({ title: 'c' })] }) }, WAIT)
    expect(events.slice(before).every((e) => e.thread === second)).toBe(true)
  })

  it('refuses unknown photos by name, and stops once: topics left, listeners released, requests refused', async () => {
    const bus = memoryTopicBus()
    const topics = bus.join()
    const alice = await node({ follower: memoryFollower().transport, topics: topics.topics })
    const { thread } = await alice.tab.request({ type: 'album.create', name: 'One' })
    await expect(alice.tab.request({ type: 'photo.rename', thread, photo: 'nope', title: 'x' })).rejects.toMatchObject({ name: 'PhotoNotFoundError' })
    expect(topics.subscribed.has(thread)).toBe(true)
    expect(topics.listeners.size).toBe(1)

    await Promise.all([alice.service.stop(), alice.service.stop()])
    await alice.service.stop()
    expect(alice.service.state).toBe('stopped')
    expect(topics.subscribed.size).toBe(0)
    expect(topics.listeners.size).toBe(0)
    await expect(alice.tab.request({ type: 'album.list' })).rejects.toMatchObject({ name: 'NotRunningError' })
    await expect(alice.service.start()).rejects.toMatchObject({ name: 'StoppedError' })
  })

  it('finds another browser on the album\'s topic and syncs with it directly, with no follower', async () => {
    const bus = memoryTopicBus()
    const [aliceId, bobId] = await orderedPeers()
    const aliceTopics = bus.join(aliceId).topics
    const bobTopics = bus.join(bobId).topics
    // A dial opens the connection on both sides, as a WebRTC connection would; presence goes out on the bus.
    const aliceNode = fakeNode(aliceId, async () => { aliceNode.connect(bobId); bobNode.connect(aliceId) }, async (topic, data) => { await aliceTopics.publish(topic, data) })
    const bobNode = fakeNode(bobId, async () => { bobNode.connect(aliceId); aliceNode.connect(bobId) }, async (topic, data) => { await bobTopics.publish(topic, data) })
    /** Each node's sync handler, by peer ID: what a stream to that peer would reach. */
    const served = new Map<string, (request: SyncRequest) => Promise<HandledRequest>>()
    const direct = (fake: ReturnType<typeof fakeNode>, self: string) => ({ replica, onChange }: DirectPeerHooks) => {
      served.set(self, createSyncHandler(replica))
      return createDirectPeers({
        node: fake.node,
        carriers: carrierChanges(),
        onChange,
        startSync: (thread, peer) => startDirectSync({ thread, peer, replica, transport: createLoopbackTransport(async (request) => await served.get(peer.toString())!(request)) })
      })
    }
    const alice = await node({ topics: aliceTopics, direct: direct(aliceNode, aliceId.toString()) })
    const bob = await node({ topics: bobTopics, direct: direct(bobNode, bobId.toString()) })
    const { thread } = await alice.tab.request({ type: 'album.create', name: 'Summer' })
    await alice.tab.request({ type: 'photo.add', thread, title: 'beach' })
    const { link } = await alice.tab.request({ type: 'album.invite', thread, base: 'http://127.0.0.1:4173/', role: 'write' })
    const toAlice = heard(alice)
    await alice.tab.request({ type: 'album.subscribe', thread })

    const toBob = heard(bob)
    await bob.tab.request({ type: 'album.join', link })
    await bob.tab.request({ type: 'album.subscribe', thread })
    await vi.waitFor(() => { expect(titles(toBob.at(-1))).toEqual(['beach']) }, WAIT)
    await vi.waitFor(() => { expect(toBob.at(-1)?.sync).toMatchObject({ state: 'no-follower', direct: 1 }) }, WAIT)
    await vi.waitFor(() => { expect(toAlice.at(-1)?.sync).toMatchObject({ direct: 1 }) }, WAIT)
    expect(aliceNode.dials).toHaveLength(1) // the smaller ID dialled; the other waited for it
    expect(bobNode.dials).toHaveLength(0)

    // A new photo goes over the direct connection at once.
    await alice.tab.request({ type: 'photo.add', thread, title: 'dunes' })
    await vi.waitFor(() => { expect(titles(toBob.at(-1))).toEqual(['beach', 'dunes']) }, WAIT)
  })
})
