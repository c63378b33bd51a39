/**
 * Thumbnail packs in the album service, through a real follower process: a
 * writer's device publishes a snapshot naming packs of its album's
 * thumbnails and pushes them to the follower; a person who joins shows the
 * album from the snapshot and gets every thumbnail from the packs, a request
 * per pack to the follower and no block fetched on its own; where a pack is
 * missing on the follower, its thumbnails are fetched block by block and none
 * is lost, as where whoever answers for the follower serves other bytes for
 * a pack; a pack no kept snapshot names is refused. A joiner that knows the
 * follower by its libp2p address alone gets the packs over bitswap. Fetches are counted on the joiners' real parts: the follower's
 * block endpoint and the media node's bitswap fetches.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { MemoryBlockstore } from 'blockstore-core'
import { CID } from 'multiformats/cid'
import { describe, expect, it, vi } from 'vitest'
import { httpFollowerBlocks } from '../../src/adapters/http/block-push.ts'
import { createBlockNode } from '../../src/adapters/libp2p/block-node.ts'
import { mediaBlocksOf } from '../../src/adapters/libp2p/media-blocks.ts'
import { startSyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { packThumbnails, type MediaBlock } from '../../src/core/media/index.ts'
import type { FollowerBlocks } from '../../src/services/album-packs.ts'
import { createMediaStore, type MediaBlocks } from '../../src/services/media-store.ts'
import { startAlbumNode, type AlbumNode } from '../helpers/album-node.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'
import { memoryTopicBus } from '../helpers/memory-topics.ts'

const PHOTOS = 50
const THUMBNAIL_BYTES = 24_000
const WAIT = { timeout: 120_000, interval: 100 }

/** Bytes of `size` with a pattern of their own (seeded). */
const pattern = (size: number, seed: number): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(size)
  let x = seed
  for (let i = 0; i < size; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24 }
  return out
}

/** A device in Node as the worker is: an album service with a media store over a light Helia node on its own libp2p. */
async function device (cleanup: (step: () => Promise<unknown>) => void, bus: ReturnType<typeof memoryTopicBus>) {
  const peer = await startSyncPeer()
  cleanup(async () => await peer.stop())
  const blockstore = new MemoryBlockstore()
  const helia = await createBlockNode({ libp2p: peer.node, blockstore })
  cleanup(async () => await helia.stop())
  const real = mediaBlocksOf(helia, blockstore)
  /** Blocks fetched from peers (bitswap) one by one. */
  const fetched: string[] = []
  const blocks: MediaBlocks = { ...real, get: async (cid, options) => { fetched.push(cid.toString()); return await real.get(cid, options) } }
  const node: AlbumNode = await startAlbumNode({
    topics: bus.join().topics,
    snapshots: { everyRecords: 1, minIntervalMs: 3_600_000 },
    media: (meta) => createMediaStore({ blocks, meta })
  })
  cleanup(async () => await node.close())
  /** Follows the album's follower through its libp2p address and, counted, its block endpoint. */
  const follow = (follower: FollowerProcess, endpoint: FollowerBlocks | undefined): void => {
    node.service.addFollower({ address: follower.multiaddr, transport: peer.transportTo(follower.multiaddr), blocks: () => endpoint })
  }
  return { node, fetched, follow }
}

/** A follower's block endpoint, each request noted with its outcome. */
function countedEndpoint (follower: FollowerProcess, options: { withhold?: (n: number) => boolean } = {}) {
  const real = httpFollowerBlocks(follower.httpUrl)
  const gets: Array<{ cid: string, ok: boolean }> = []
  const puts: Array<Promise<unknown>> = []
  const pushed: string[] = []
  const withheld: MediaBlock[] = []
  const endpoint: FollowerBlocks = {
    get: async (cid: CID, o) => {
      try {
        const bytes = await real.get(cid, o)
        gets.push({ cid: cid.toString(), ok: true })
        return bytes
      } catch (error) {
        gets.push({ cid: cid.toString(), ok: false })
        throw error
      }
    },
    put: async (block, o) => {
      // A pack never pushed (the writer's device went away mid-push, say): the follower does not have it.
      if (options.withhold?.(puts.length + withheld.length) === true) { withheld.push(block); return }
      const put = real.put(block, o)
      puts.push(put)
      pushed.push(block.cid.toString())
      await put
    },
    held: real.held
  }
  return { endpoint, gets, puts, pushed, withheld, real }
}

const thumbnailOf = (i: number): Uint8Array<ArrayBuffer> => pattern(THUMBNAIL_BYTES + i, 1000 + i)

/** Adds `count` photos with their files to album `thread` on `node`. */
async function addPhotos (node: AlbumNode, thread: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const original = new Blob([pattern(5_000, i)], { type: 'image/png' })
    await node.tab.request({
      type: 'photo.addMedia',
      thread,
      title: `photo ${i}`,
      task: `add-${i}`,
      original,
      preview: new Blob([pattern(3_000, 500 + i)], { type: 'image/jpeg' }),
      thumbnail: new Blob([thumbnailOf(i)], { type: 'image/jpeg' }),
      media: { type: 'image/png', size: original.size, width: 40, height: 30 }
    })
  }
}

/** Photos' manifests (dag-cbor entries) in a pack block. */
const photosIn = (pack: MediaBlock): number => (dagCbor.decode(pack.bytes) as { blocks: Array<[CID, Uint8Array]> }).blocks.filter(([cid]) => cid.code === dagCbor.code).length

describe('joining from a snapshot\'s thumbnail packs through a follower process', { timeout: 600_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('a joiner gets every thumbnail from the packs; where a pack is missing or not the block named, its thumbnails come block by block', async () => {
    const follower = await startFollowerProcess(await tempDir('threads-pack-join-', cleanup))
    cleanup(async () => await follower.stop())
    const bus = memoryTopicBus()

    // Alice fills an album, then it reaches the follower: the first sync that leaves it holding everything publishes a snapshot.
    const alice = await device(cleanup, bus)
    const { thread } = await alice.node.tab.request({ type: 'album.create', name: 'Packed' })
    await addPhotos(alice.node, thread, PHOTOS)
    // The second pack block is withheld: the follower keeps a snapshot naming a pack it never got.
    const toFollower = countedEndpoint(follower, { withhold: (n) => n === 1 })
    alice.follow(follower, toFollower.endpoint)
    await vi.waitFor(() => { expect(toFollower.puts.length + toFollower.withheld.length).toBeGreaterThanOrEqual(2) }, WAIT)
    await Promise.all(toFollower.puts)
    expect(toFollower.withheld).toHaveLength(1)
    const missing = photosIn(toFollower.withheld[0]!)
    expect(missing).toBeGreaterThan(0)
    // The follower holds every file whole (fetched from Alice over bitswap), so a thumbnail can always be fetched alone.
    await vi.waitFor(async () => {
      const health = await (await fetch(`${follower.httpUrl}/health`)).json() as { media: { complete: number } }
      expect(health.media.complete).toBe(3 * PHOTOS)
    }, WAIT)
    const { link } = await alice.node.tab.request({ type: 'album.invite', thread, base: 'http://127.0.0.1:4173/', role: 'read' })

    /** Joins as a new person through `endpoint` and opens every thumbnail, as the grid does; checks each against Alice's. */
    const join = async (endpoint: FollowerBlocks | undefined): Promise<Awaited<ReturnType<typeof device>>> => {
      const person = await device(cleanup, bus)
      person.follow(follower, endpoint)
      await person.node.tab.request({ type: 'album.join', link })
      const { photos } = await person.node.tab.request({ type: 'album.subscribe', thread })
      expect(photos).toHaveLength(PHOTOS)
      for (const photo of photos) {
        const { blob } = await person.node.tab.request({ type: 'photo.media', thread, photo: photo.id, variant: 'thumbnail' })
        expect(new Uint8Array(await blob.arrayBuffer())).toEqual(thumbnailOf(Number(photo.title.slice('photo '.length))))
      }
      return person
    }

    // Carol: the pack the follower lacks is refused (404), and its thumbnails come block by block; every one shows.
    const carolsEndpoint = countedEndpoint(follower)
    const carol = await join(carolsEndpoint.endpoint)
    expect(carolsEndpoint.gets.map((g) => g.ok).sort()).toEqual([false, true])
    expect(carolsEndpoint.gets.find((g) => !g.ok)?.cid).toBe(toFollower.withheld[0]!.cid.toString())
    // A thumbnail is its manifest and one chunk: two blocks each, for the photos of the missing pack only.
    expect(carol.fetched).toHaveLength(2 * missing)

    // The pack pushed after all; a pack no kept snapshot names is refused in the follower's words.
    const withheld = toFollower.withheld[0]!
    await toFollower.real.put(withheld, {})
    const [stranger] = await packThumbnails([[{ cid: withheld.cid, bytes: withheld.bytes }]])
    await expect(toFollower.real.put(stranger!, {})).rejects.toMatchObject({ name: 'BlockPushError', message: expect.stringContaining('UnreferencedBlockError') })

    // Dave asks someone who answers for the follower with another block's bytes for a pack: refused, and those thumbnails come block by block.
    const honest = countedEndpoint(follower)
    const other = carolsEndpoint.gets.find((g) => g.ok)!.cid
    const lying: FollowerBlocks = { ...honest.endpoint, get: async (cid, o) => await honest.endpoint.get(cid.toString() === withheld.cid.toString() ? CID.parse(other) : cid, o) }
    const dave = await join(lying)
    expect(dave.fetched).toHaveLength(2 * missing)

    // Bob, who joins now, gets every thumbnail from the two packs and fetches no block alone.
    const bobsEndpoint = countedEndpoint(follower)
    const bob = await join(bobsEndpoint.endpoint)
    expect(bobsEndpoint.gets.map((g) => g.ok)).toEqual([true, true])
    expect(bob.fetched).toEqual([])

    // Erin knows the follower by its libp2p address alone: the two packs come over bitswap, and nothing else does.
    const erin = await join(undefined)
    expect(erin.fetched.sort()).toEqual(bobsEndpoint.gets.map((g) => g.cid).sort())
  })
  it('a writer hands its snapshot to each follower whose web address it knows, and pushes each the packs it lacks', async () => {
    const followers = await Promise.all(['threads-pack-one-', 'threads-pack-two-'].map(async (prefix) => {
      const process = await startFollowerProcess(await tempDir(prefix, cleanup))
      cleanup(async () => await process.stop())
      return process
    }))
    const alice = await device(cleanup, memoryTopicBus())
    const { thread } = await alice.node.tab.request({ type: 'album.create', name: 'Twice kept' })
    await addPhotos(alice.node, thread, 12)
    const endpoints = followers.map((f) => countedEndpoint(f))
    followers.forEach((f, i) => { alice.follow(f, endpoints[i]!.endpoint) })
    // Each follower keeps the snapshot and takes its packs, however the syncs with them interleave.
    await vi.waitFor(() => { for (const e of endpoints) expect(e.pushed.length).toBeGreaterThanOrEqual(1) }, WAIT)
    for (const e of endpoints) await Promise.all(e.puts)
    expect(endpoints[1]!.pushed).toEqual(endpoints[0]!.pushed)
    for (const [i, e] of endpoints.entries()) {
      for (const cid of e.pushed) expect((await httpFollowerBlocks(followers[i]!.httpUrl).held([CID.parse(cid)], {}))).toEqual([true])
    }
  })
})
