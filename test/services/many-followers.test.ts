/**
 * An album service with several followers, each kept by a follower link, in
 * Node: memory followers behind loopback transports that can be taken down
 * and brought back, and a stand-in libp2p node whose dials and disconnects
 * follow them. A node started while its follower is down (or not yet found)
 * syncs once it is up; two followers both receive a push; and when a follower
 * stops, the album no longer says it is synced with it within moments (the
 * schedulers' own timer is ten minutes here, so only the link can tell).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SyncTransport } from '../../src/core/sync/engine.ts'
import type { AlbumSnapshot } from '../../src/protocol/album-messages.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { PROTOCOL_VERSION } from '../../src/protocol/messages.ts'
import type { LinkContext } from '../../src/protocol/rpc-server.ts'
import { createAlbumService } from '../../src/services/album-service.ts'
import { createFollowerLink, type FollowerLink, type FollowerLinkNode } from '../../src/services/follower-link.ts'
import { startAlbumNode, type AlbumNode } from '../helpers/album-node.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { memoryTopicBus } from '../helpers/memory-topics.ts'

const WAIT = { timeout: 30_000, interval: 20 }
/** A tab's link as the handlers see it, for calling them without a MessageChannel. */
const link = { emit: () => {}, signal: new AbortController().signal } as unknown as LinkContext
const PEERS = ['12D3KooWGRUVh7eE7Drz3Cqhx9hBUKbMfAUeLnqMZBkMKigYXwsH', '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK']

/** A memory follower at a multiaddr that can be stopped and started: its transport and its dials fail while it is down. */
function switchableFollower (index: number) {
  const follower = memoryFollower()
  const peer = PEERS[index]!
  const address = `/ip4/127.0.0.1/tcp/${4001 + index}/ws/p2p/${peer}`
  let up = true
  const transport: SyncTransport = {
    request: async (request, options) => {
      if (!up) throw new Error(`the follower ${index} is down`)
      return await follower.transport.request(request, options)
    }
  }
  return {
    follower,
    address,
    peer,
    transport,
    isUp: () => up,
    set: (value: boolean) => { up = value }
  }
}
type Switchable = ReturnType<typeof switchableFollower>

/** A stand-in node whose dials reach the followers that are up, and which says when one goes away. */
function fakeNode (followers: readonly Switchable[]) {
  const events = new EventTarget()
  const node = {
    dial: async (address: { toString(): string }) => {
      const target = followers.find((f) => f.address === address.toString())
      if (target === undefined || !target.isUp()) throw new Error(`could not dial ${address.toString()}`)
    },
    addEventListener: (type: string, listener: EventListener) => { events.addEventListener(type, listener) },
    removeEventListener: (type: string, listener: EventListener) => { events.removeEventListener(type, listener) }
  }
  return {
    node: node as unknown as FollowerLinkNode,
    /** The follower stops: its transport fails and its connection drops. */
    stop: (f: Switchable) => { f.set(false); events.dispatchEvent(new CustomEvent('peer:disconnect', { detail: peerIdFromString(f.peer) })) }
  }
}

const nodes: AlbumNode[] = []
const links: FollowerLink[] = []
afterEach(async () => {
  for (const link of links.splice(0)) await link.stop()
  for (const node of nodes.splice(0)) await node.close()
})

/** An album node that syncs with `followers`, each through a link on `node`. */
async function albumNode (followers: readonly Switchable[], node: FollowerLinkNode): Promise<AlbumNode> {
  const album = await startAlbumNode({ topics: memoryTopicBus().join().topics })
  nodes.push(album)
  for (const f of followers) {
    const link = createFollowerLink({ node, address: f.address, firstBackoffMs: 20, onChange: () => { album.service.followerChanged(f.address) } })
    links.push(link)
    album.service.addFollower({ address: f.address, transport: f.transport })
    await link.start()
  }
  return album
}

/** A node syncing with `followers` (its links on a stand-in node), holding an album with one photo. */
async function aliceWithPhoto (followers: readonly Switchable[]): Promise<{ alice: AlbumNode, thread: string, fake: ReturnType<typeof fakeNode> }> {
  const fake = fakeNode(followers)
  const alice = await albumNode(followers, fake.node)
  const { thread } = await alice.tab.request({ type: 'album.create', name: 'Summer' })
  await alice.tab.request({ type: 'photo.add', thread, title: 'beach' })
  return { alice, thread, fake }
}

const syncOf = async (album: AlbumNode, thread: string): Promise<AlbumSnapshot['sync']> => (await album.tab.request({ type: 'album.subscribe', thread })).sync
const holds = async (f: Switchable, thread: string): Promise<number> => (await f.follower.replica.heads(thread)).length

describe('many followers', { timeout: 120_000 }, () => {
  it('syncs once a follower that was down at start comes up, and once one is found after start', async () => {
    const down = switchableFollower(0)
    down.set(false)
    const { alice, thread, fake } = await aliceWithPhoto([down])
    await vi.waitFor(async () => { expect(await syncOf(alice, thread)).toMatchObject({ state: 'offline', pending: expect.any(Number) }) }, WAIT)
    expect((await syncOf(alice, thread)).pending).toBeGreaterThan(0)

    down.set(true)
    await vi.waitFor(async () => { expect(await syncOf(alice, thread)).toMatchObject({ state: 'synced', pending: 0 }) }, WAIT)
    expect(await holds(down, thread)).toBe(1)

    // A node with no follower at all keeps its photos, and syncs them with the first one it is given.
    const bob = await albumNode([], fake.node)
    const own = (await bob.tab.request({ type: 'album.create', name: 'Later' })).thread
    await bob.tab.request({ type: 'photo.add', thread: own, title: 'kept' })
    expect(await syncOf(bob, own)).toMatchObject({ state: 'no-follower' })
    bob.service.addFollower({ address: down.address, transport: down.transport })
    await vi.waitFor(async () => { expect(await syncOf(bob, own)).toMatchObject({ state: 'synced', pending: 0, followers: { synced: 1, total: 1 } }) }, WAIT)
    expect(await holds(down, own)).toBe(1)
  })

  it('pushes to both followers, and stays synced through one when the other stops', async () => {
    const first = switchableFollower(0)
    const second = switchableFollower(1)
    const { alice, thread, fake } = await aliceWithPhoto([first, second])
    await vi.waitFor(async () => {
      expect(await holds(first, thread)).toBe(1)
      expect(await holds(second, thread)).toBe(1)
      expect(await syncOf(alice, thread)).toMatchObject({ state: 'synced', pending: 0, followers: { synced: 2, total: 2 } })
    }, WAIT)

    const seqOf = async (f: Switchable): Promise<number> => (await f.follower.replica.heads(thread))[0]?.seq ?? 0
    const before = await seqOf(second)
    fake.stop(second)
    await vi.waitFor(async () => { expect(await syncOf(alice, thread)).toMatchObject({ state: 'synced', followers: { synced: 1, total: 2 } }) }, WAIT)
    await alice.tab.request({ type: 'photo.add', thread, title: 'dunes' })
    await vi.waitFor(async () => { expect(await seqOf(first)).toBe(before + 1) }, WAIT)
    await vi.waitFor(async () => { expect(await syncOf(alice, thread)).toMatchObject({ state: 'synced', pending: 0, followers: { synced: 1, total: 2 } }) }, WAIT)
    expect(await seqOf(second)).toBe(before)
    // Each follower's own standing: what waits is what the stopped one has not acknowledged.
    await vi.waitFor(async () => {
      expect((await syncOf(alice, thread)).followerList).toEqual([
        { address: first.address, state: 'synced', pending: 0 },
        { address: second.address, state: 'offline', pending: 1 }
      ])
    }, WAIT)
  })

  it('adds a follower a person names by multiaddr or web address, and refuses other addresses in words', async () => {
    const named: string[] = []
    const resolved = switchableFollower(1)
    const service = createAlbumService({
      backend: createMemoryBackend(),
      topics: memoryTopicBus().join().topics,
      onFollowerAddresses: (addresses) => { named.push(...addresses) },
      resolveFollower: async (url) => {
        if (url !== 'http://127.0.0.1:4012') throw new Error(`nothing answers at ${url}`)
        return resolved.address
      }
    })
    await service.start()
    const add = async (address: string): Promise<unknown> => await service.handlers['follower.add']({ v: PROTOCOL_VERSION, id: 1, type: 'follower.add', address }, link)
    expect(await add(` /ip4/127.0.0.1/tcp/4001/ws/p2p/${PEERS[0]} `)).toEqual({ type: 'follower.added', address: `/ip4/127.0.0.1/tcp/4001/ws/p2p/${PEERS[0]}` })
    expect(await add('http://127.0.0.1:4012')).toEqual({ type: 'follower.added', address: resolved.address })
    await expect(add('/ip4/127.0.0.1/tcp/4001/ws')).rejects.toMatchObject({ name: 'FollowerAddressInvalidError', message: expect.stringContaining('/p2p/ peer ID') })
    await expect(add('follower.example.org')).rejects.toMatchObject({ name: 'FollowerAddressInvalidError', message: expect.stringContaining('neither a follower\'s web address') })
    await expect(add('http://127.0.0.1:9')).rejects.toThrow('nothing answers')
    await service.stop()
    expect(named).toEqual([`/ip4/127.0.0.1/tcp/4001/ws/p2p/${PEERS[0]}`, resolved.address])
  })

  it('names, when an album is opened again after a restart, the followers that followed it before', async () => {
    const f = switchableFollower(0)
    const backend = createMemoryBackend()
    const first = createAlbumService({ backend, follower: { address: f.address, transport: f.transport }, topics: memoryTopicBus().join().topics })
    await first.start()
    const { thread } = await first.handlers['album.create']({ v: PROTOCOL_VERSION, id: 1, type: 'album.create', name: 'Summer' }, link)
    await vi.waitFor(async () => { expect((await first.handlers['album.subscribe']({ v: PROTOCOL_VERSION, id: 2, type: 'album.subscribe', thread }, link)).sync.state).toBe('synced') }, WAIT)
    await first.stop()

    const named: string[] = []
    const second = createAlbumService({ backend, topics: memoryTopicBus().join().topics, onFollowerAddresses: (addresses) => { named.push(...addresses) } })
    await second.start()
    await second.handlers['album.subscribe']({ v: PROTOCOL_VERSION, id: 1, type: 'album.subscribe', thread }, link)
    await second.stop()
    expect(named).toEqual([f.address])
  })

  it('says the follower is out of reach as soon as it stops, not at the next timed sync', async () => {
    const only = switchableFollower(0)
    const { alice, thread, fake } = await aliceWithPhoto([only])
    await vi.waitFor(async () => { expect(await syncOf(alice, thread)).toMatchObject({ state: 'synced', pending: 0 }) }, WAIT)

    fake.stop(only)
    await vi.waitFor(async () => { expect(await syncOf(alice, thread)).toMatchObject({ state: 'offline', message: expect.stringContaining('down') }) }, WAIT)
    only.set(true)
    await vi.waitFor(async () => { expect(await syncOf(alice, thread)).toMatchObject({ state: 'synced' }) }, WAIT)
  })
})
