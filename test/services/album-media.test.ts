/**
 * Photos as media in the album service, as tabs meet it over a MessageChannel:
 * the original, a preview and a thumbnail handed over as Blobs are stored as
 * encrypted blocks, with progress to the asking tab; a member who joins sees
 * the photo's metadata and gets each variant, the original byte for byte,
 * fetching only the blocks it lacks from a peer; what a hostile peer serves
 * is refused by name, as is a thumbnail or preview ref claiming a file larger
 * than a tab makes; requests that break the limits are refused before
 * anything is read; fetched originals are evicted least recently used under
 * pressure, never this device's own nor those of an album it keeps, which
 * fetches its originals as they come.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import { encryptMedia, mediaRefValue } from '../../src/core/media/index.ts'
import type { KeyValueStore } from '../../src/core/storage/interfaces.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { PROTOCOL_VERSION, type NodeEvent } from '../../src/protocol/messages.ts'
import { localThumbnail, mediaHandlers } from '../../src/services/album-media.ts'
import { MEDIA_MESSAGE_LIMITS } from '../../src/protocol/media-messages.ts'
import { createMediaStore, type MediaStore, type StorageEstimate } from '../../src/services/media-store.ts'
import { startAlbumNode, type AlbumNode } from '../helpers/album-node.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { memoryMediaBlocks } from '../helpers/memory-media.ts'
import { memoryTopicBus } from '../helpers/memory-topics.ts'

const WAIT = { timeout: 30_000, interval: 20 }
const nodes: AlbumNode[] = []
afterEach(async () => { for (const node of nodes.splice(0)) await node.close() })

/** Bytes that differ everywhere (so a chunk out of place would show), `size` of them. */
const pattern = (size: number, seed: number): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(size)
  let x = seed
  for (let i = 0; i < size; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24 }
  return out
}
const sha256 = async (blob: Blob): Promise<string> => Buffer.from(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer())).toString('hex')

interface Device { readonly node: AlbumNode, readonly blocks: ReturnType<typeof memoryMediaBlocks>, store?: MediaStore }

async function device (options: { follower: ReturnType<typeof memoryFollower>, bus: ReturnType<typeof memoryTopicBus>, peers?: Device[], estimate?: () => Promise<StorageEstimate> }): Promise<Device> {
  const blocks = memoryMediaBlocks((options.peers ?? []).map((p) => p.blocks))
  const made: { store?: MediaStore } = {}
  const node = await startAlbumNode({
    follower: options.follower.transport,
    topics: options.bus.join().topics,
    media: (meta: KeyValueStore) => {
      made.store = createMediaStore({ blocks: blocks.blocks, meta, ...(options.estimate === undefined ? {} : { estimate: options.estimate }) })
      return made.store
    }
  })
  nodes.push(node)
  return { node, blocks, ...made }
}

const ORIGINAL = 3 * 1024 * 1024 + 12_345
const photoRequest = (thread: string, original = new Blob([pattern(ORIGINAL, 1)], { type: 'image/png' })) => ({
  type: 'photo.addMedia' as const,
  thread,
  title: 'Harbour',
  task: 'task-1',
  original,
  preview: new Blob([pattern(200_000, 2)], { type: 'image/jpeg' }),
  thumbnail: new Blob([pattern(20_000, 3)], { type: 'image/jpeg' }),
  media: { type: 'image/png', size: original.size, width: 4000, height: 3000, takenAt: Date.UTC(2024, 6, 1, 9, 30) }
})

describe('photos as media', { timeout: 120_000 }, () => {
  it('stores a photo\'s files as blocks with progress, and a member who joins gets the original byte for byte from a peer', async () => {
    const follower = memoryFollower()
    const bus = memoryTopicBus()
    const alice = await device({ follower, bus })
    const { thread } = await alice.node.tab.request({ type: 'album.create', name: 'Trip' })
    const progress: number[] = []
    alice.node.tab.onEvent((event: NodeEvent) => { if (event.type === 'media.progress' && event.task === 'task-1') progress.push(event.done) })
    const request = photoRequest(thread)
    const { photo } = await alice.node.tab.request(request)
    expect(progress.at(-1)).toBe(ORIGINAL + 200_000 + 20_000)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
    expect(progress.length).toBeGreaterThan(3)
    // The blocks hold no plaintext: no 64-byte run of the original appears in any of them.
    const marker = Buffer.from(pattern(ORIGINAL, 1).subarray(1_000_000, 1_000_064))
    for (const bytes of alice.blocks.held.values()) expect(Buffer.from(bytes).includes(marker)).toBe(false)

    const { link } = await alice.node.tab.request({ type: 'album.invite', thread, base: 'http://127.0.0.1:4173/', role: 'read' })
    const bob = await device({ follower, bus, peers: [alice] })
    await bob.node.tab.request({ type: 'album.join', link })
    const events: NodeEvent[] = []
    bob.node.tab.onEvent((event) => { events.push(event) })
    const first = await bob.node.tab.request({ type: 'album.subscribe', thread })
    const seen = async () => { const last = events.filter((e) => e.type === 'album.changed').at(-1); return last?.type === 'album.changed' ? last.photos : first.photos }
    await vi.waitFor(async () => { expect((await seen()).map((p) => p.title)).toEqual(['Harbour']) }, WAIT)
    expect((await seen())[0]).toMatchObject({ id: photo, hasImage: true, media: request.media })

    const thumbnail = await bob.node.tab.request({ type: 'photo.media', thread, photo, variant: 'thumbnail' })
    expect(await sha256(thumbnail.blob)).toBe(await sha256(request.thumbnail))
    expect(bob.blocks.fetched()).toBe(2) // a manifest and one chunk: nothing of the original yet
    const original = await bob.node.tab.request({ type: 'photo.media', thread, photo, variant: 'original', task: 'get' })
    expect(original.blob.size).toBe(ORIGINAL)
    expect(original.blob.type).toBe('image/png')
    expect(await sha256(original.blob)).toBe(await sha256(request.original))
    expect(events.some((e) => e.type === 'media.progress' && e.task === 'get' && e.done === ORIGINAL)).toBe(true)
  })

  it('adds photos sent together in the order sent, though the larger ones take longer to store, and one refused does not stop the rest', async () => {
    const alice = await device({ follower: memoryFollower(), bus: memoryTopicBus() })
    const { thread } = await alice.node.tab.request({ type: 'album.create', name: 'Batch' })
    // A slow disk for large blocks, so the large originals finish storing well after the small ones.
    const put = alice.blocks.blocks.put.bind(alice.blocks.blocks)
    alice.blocks.blocks.put = async (block) => {
      if (block.bytes.byteLength > 100_000) await new Promise((resolve) => setTimeout(resolve, 40))
      await put(block)
    }
    // Larger first: were records written as each finished storing, the small ones would come first.
    const sizes = [6_000_000, 2_000_000, 1_000, 0, 2_000]
    const sent = sizes.map((size, i) => {
      const original = new Blob([pattern(size, 40 + i)], { type: 'image/png' })
      const request = { ...photoRequest(thread, original), title: `Photo ${i}` }
      // The fourth claims a size its file does not have: refused alone.
      return alice.node.tab.request(size === 0 ? { ...request, media: { ...request.media, size: 5 } } : request)
    })
    const outcomes = await Promise.allSettled(sent)
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    const { photos } = await alice.node.tab.request({ type: 'album.subscribe', thread })
    // Newest first.
    expect(photos.map((p) => p.title)).toEqual(['Photo 4', 'Photo 2', 'Photo 1', 'Photo 0'])
  })

  it('refuses by name an original whose blocks a peer altered, and shows nothing of it', async () => {
    const follower = memoryFollower()
    const bus = memoryTopicBus()
    const alice = await device({ follower, bus })
    const { thread } = await alice.node.tab.request({ type: 'album.create', name: 'Trip' })
    const { photo } = await alice.node.tab.request(photoRequest(thread))
    const { link } = await alice.node.tab.request({ type: 'album.invite', thread, base: 'http://127.0.0.1:4173/', role: 'read' })
    // Alice's store now serves other bytes under every chunk's CID (a hostile or broken peer).
    for (const [cid, bytes] of alice.blocks.held) if (bytes.length > 1024 * 1024) alice.blocks.held.set(cid, bytes.map((b) => b ^ 1))
    const bob = await device({ follower, bus, peers: [alice] })
    await bob.node.tab.request({ type: 'album.join', link })
    await vi.waitFor(async () => { expect((await bob.node.tab.request({ type: 'album.subscribe', thread })).photos).toHaveLength(1) }, WAIT)
    await expect(bob.node.tab.request({ type: 'photo.media', thread, photo, variant: 'original' })).rejects.toMatchObject({ name: 'BadCidError' })
  })

  it('refuses by name a thumbnail larger than a tab makes, which a writer could claim, before fetching it', async () => {
    // A writer's photo whose thumbnail ref names a 3 MB file, written straight into its album.
    const thread = await openDatabase({ backend: createMemoryBackend() }).createThread({ name: 'Hostile' })
    const blocks = memoryMediaBlocks()
    const store = createMediaStore({ blocks: blocks.blocks, meta: createMemoryBackend().meta })
    const big = await encryptMedia([pattern(ORIGINAL, 4)], { size: ORIGINAL, type: 'image/jpeg', put: async (block) => { await blocks.blocks.put(block) } })
    const photo = await thread.collection('photos').create({ title: 'Huge', addedAt: 1, thumbnail: mediaRefValue(big), original: mediaRefValue(big) })
    const handlers = mediaHandlers({ media: store, album: async () => ({ thread }), write: async (_id, _doing, fn) => await fn(thread), changed: () => {} })
    const link = { emit: () => {}, signal: new AbortController().signal }
    const ask = (variant: 'thumbnail' | 'original') => handlers['photo.media']({ v: PROTOCOL_VERSION, id: 1, type: 'photo.media', thread: thread.id, photo, variant }, link)
    await expect(ask('thumbnail')).rejects.toMatchObject({ name: 'ThumbnailTooLargeError' })
    expect((await ask('original')).blob.size).toBe(ORIGINAL)
  })

  it(`refuses by name a thumbnail past the ${MEDIA_MESSAGE_LIMITS.maxThumbnailBytes} bytes a tab lists thousands of, from a media ref or a photo's own image, and caches none for tabs`, async () => {
    const thread = await openDatabase({ backend: createMemoryBackend() }).createThread({ name: 'Hostile' })
    const blocks = memoryMediaBlocks()
    const store = createMediaStore({ blocks: blocks.blocks, meta: createMemoryBackend().meta })
    const size = MEDIA_MESSAGE_LIMITS.maxThumbnailBytes + 1
    const over = await encryptMedia([pattern(size, 5)], { size, type: 'image/jpeg', put: async (block) => { await blocks.blocks.put(block) } })
    const within = await encryptMedia([pattern(MEDIA_MESSAGE_LIMITS.maxThumbnailBytes, 6)], { size: MEDIA_MESSAGE_LIMITS.maxThumbnailBytes, type: 'image/jpeg', put: async (block) => { await blocks.blocks.put(block) } })
    const photos = thread.collection('photos')
    const refOver = await photos.create({ title: 'Over', addedAt: 1, thumbnail: mediaRefValue(over), original: mediaRefValue(within) })
    const refWithin = await photos.create({ title: 'Within', addedAt: 2, thumbnail: mediaRefValue(within), original: mediaRefValue(over) })
    // A photo from before media: its one image stands for every variant.
    const imageOver = await photos.create({ title: 'Old', addedAt: 3, image: pattern(size, 7), imageType: 'image/jpeg' })
    const handlers = mediaHandlers({ media: store, album: async () => ({ thread }), write: async (_id, _doing, fn) => await fn(thread), changed: () => {} })
    const link = { emit: () => {}, signal: new AbortController().signal }
    const ask = (photo: string, variant: 'thumbnail' | 'preview' | 'original') => handlers['photo.media']({ v: PROTOCOL_VERSION, id: 1, type: 'photo.media', thread: thread.id, photo, variant }, link)
    await expect(ask(refOver, 'thumbnail')).rejects.toMatchObject({ name: 'ThumbnailTooLargeError' })
    await expect(ask(imageOver, 'thumbnail')).rejects.toMatchObject({ name: 'ThumbnailTooLargeError' })
    expect((await ask(refWithin, 'thumbnail')).blob.size).toBe(MEDIA_MESSAGE_LIMITS.maxThumbnailBytes)
    // The same bytes as a larger variant are no thumbnail: shown.
    expect((await ask(imageOver, 'preview')).blob.size).toBe(size)
    expect((await ask(refWithin, 'original')).blob.size).toBe(size)
    // Not cached for tabs either: a tab asking for it hears the refusal.
    const doc = (id: string): Record<string, unknown> => photos.find({ _id: id })[0]!
    expect(await localThumbnail(store, doc(refOver))).toBeUndefined()
    expect(await localThumbnail(store, doc(imageOver))).toBeUndefined()
    expect((await localThumbnail(store, doc(refWithin)))?.image.byteLength).toBe(MEDIA_MESSAGE_LIMITS.maxThumbnailBytes)
  })

  it('refuses a photo whose original is not the size it says, or over the limits, before reading it', async () => {
    const alice = await device({ follower: memoryFollower(), bus: memoryTopicBus() })
    const { thread } = await alice.node.tab.request({ type: 'album.create', name: 'Trip' })
    const request = photoRequest(thread)
    await expect(alice.node.tab.request({ ...request, media: { ...request.media, size: 10 } })).rejects.toMatchObject({ name: 'MalformedMessageError' })
    await expect(alice.node.tab.request({ ...request, thumbnail: new Blob([new Uint8Array(600 * 1024)]) })).rejects.toMatchObject({ name: 'MalformedMessageError' })
    await expect(alice.node.tab.request({ ...request, media: { ...request.media, type: 'text/html' } })).rejects.toMatchObject({ name: 'MalformedMessageError' })
    expect(alice.blocks.held.size).toBe(0)
    expect((await alice.node.tab.request({ type: 'album.subscribe', thread })).photos).toHaveLength(0)
  })

  it('evicts fetched originals least recently used under pressure, never its own nor a kept album\'s', async () => {
    const follower = memoryFollower()
    const bus = memoryTopicBus()
    const alice = await device({ follower, bus })
    const { thread } = await alice.node.tab.request({ type: 'album.create', name: 'Trip' })
    const photos: string[] = []
    for (let i = 0; i < 3; i++) photos.push((await alice.node.tab.request(photoRequest(thread, new Blob([pattern(300_000, 10 + i)], { type: 'image/png' })))).photo)
    const { link } = await alice.node.tab.request({ type: 'album.invite', thread, base: 'http://127.0.0.1:4173/', role: 'write' })
    // Bob's storage is under pressure while he holds more than two originals' worth of blocks.
    let bob: Device | undefined
    const estimate = async (): Promise<StorageEstimate> => ({ usage: [...bob!.blocks.held.values()].reduce((n, b) => n + b.length, 0), quota: 1_000_000 })
    bob = await device({ follower, bus, peers: [alice], estimate })
    await bob.node.tab.request({ type: 'album.join', link })
    await vi.waitFor(async () => { expect((await bob.node.tab.request({ type: 'album.subscribe', thread })).photos).toHaveLength(3) }, WAIT)
    /** Originals held: each is one chunk of 300,000 bytes sealed (40 more). */
    const heldSizes = (): number => [...bob!.blocks.held.values()].filter((b) => b.length === 300_000 + 40).length
    await bob.node.tab.request({ type: 'photo.media', thread, photo: photos[0]!, variant: 'original' })
    await bob.node.tab.request({ type: 'photo.media', thread, photo: photos[1]!, variant: 'original' })
    expect(heldSizes()).toBe(2)
    await bob.node.tab.request({ type: 'photo.media', thread, photo: photos[0]!, variant: 'original' }) // used again: now the newer
    await bob.node.tab.request({ type: 'photo.media', thread, photo: photos[2]!, variant: 'original' })
    // Over 80% of the quota: the least recently used (photos[1]) went.
    await vi.waitFor(() => { expect(heldSizes()).toBe(2) }, WAIT)
    const fetchedBefore = bob.blocks.fetched()
    await bob.node.tab.request({ type: 'photo.media', thread, photo: photos[0]!, variant: 'original' })
    expect(bob.blocks.fetched()).toBe(fetchedBefore) // photos[0] was kept
    await bob.node.tab.request({ type: 'photo.media', thread, photo: photos[1]!, variant: 'original' })
    expect(bob.blocks.fetched()).toBeGreaterThan(fetchedBefore) // photos[1] had to be fetched again

    // A kept album's originals stay whatever the pressure; Alice's own stay too.
    await bob.node.tab.request({ type: 'album.keepOriginals', thread, keep: true })
    await vi.waitFor(() => { expect(heldSizes()).toBe(3) }, WAIT)
    expect((await bob.node.tab.request({ type: 'album.subscribe', thread })).keepOriginals).toBe(true)
    expect(await bob.store!.evict()).toBe(0)
    expect(heldSizes()).toBe(3)
    expect([...alice.blocks.held.values()].filter((b) => b.length === 300_000 + 40)).toHaveLength(3)
    // And a photo added later comes to the kept album's device by itself.
    await alice.node.tab.request(photoRequest(thread, new Blob([pattern(300_000, 20)], { type: 'image/png' })))
    await vi.waitFor(() => { expect(heldSizes()).toBe(4) }, WAIT)
  })
})
