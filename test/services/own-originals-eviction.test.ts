/**
 * Which originals a device lets go under storage pressure: its own only once
 * a backup server confirmed, per file, that it holds every block of it, and
 * still holds them when the file is about to go; confirmed and fetched ones
 * least recently used first; a kept album's never. Confirmations are written
 * to the metadata store and hold after a restart. The backup server here is
 * a set of CIDs in memory, asked as a follower is (one boolean per CID).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CID } from 'multiformats/cid'
import { encryptMedia, type MediaRef } from '../../src/core/media/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { getValue, putValue } from '../../src/core/storage/meta-values.ts'
import { evictionOrder, heldKey, mayEvict, type BackupServer, type HeldOriginal } from '../../src/services/held-originals.ts'
import { createMediaStore } from '../../src/services/media-store.ts'
import { albumNodesPerTest } from '../helpers/album-node.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { memoryMediaBlocks } from '../helpers/memory-media.ts'
import { memoryTopicBus } from '../helpers/memory-topics.ts'

const SIZE = 100_000
/** A sealed chunk of one of these originals: the plaintext and 40 bytes of nonce and tag. */
const isOriginalChunk = (bytes: Uint8Array): boolean => bytes.length === SIZE + 40

/** A backup server holding what it is given; `reachable` false makes every question fail. */
function memoryServer () {
  const held = new Set<string>()
  const server = {
    reachable: true,
    asked: 0,
    hold: (cids: readonly CID[]) => { for (const cid of cids) held.add(cid.toString()) },
    lose: (cid: CID) => { held.delete(cid.toString()) },
    backup: {
      name: 'http://backup.test',
      held: async (cids: readonly CID[]) => {
        server.asked++
        if (!server.reachable) throw new Error('out of reach')
        return cids.map((cid) => held.has(cid.toString()))
      }
    } satisfies BackupServer
  }
  return server
}

/** A device whose storage is under pressure while it holds more than `budget.originals` originals' chunks. */
async function device (originals: number) {
  const budget = { originals }
  const { meta } = createMemoryBackend()
  const blocks = memoryMediaBlocks()
  const server = memoryServer()
  const usage = (): number => [...blocks.held.values()].reduce((n, b) => n + b.length, 0)
  const options = { blocks: blocks.blocks, meta, backups: () => [server.backup], estimate: async () => ({ usage: usage(), quota: Math.ceil((budget.originals * (SIZE + 40) + 2_000) / 0.8) }) }
  /** The blocks of an original, stored here, with the manifest last. */
  const add = async (seed: number): Promise<{ ref: MediaRef, cids: CID[] }> => {
    const cids: CID[] = []
    const ref = await encryptMedia([new Uint8Array(SIZE).fill(seed)], { size: SIZE, type: 'image/png', put: async (block) => { cids.push(block.cid); await blocks.blocks.put(block) } })
    return { ref, cids }
  }
  const holdsChunk = (file: { cids: CID[] }): boolean => file.cids.some((cid) => { const bytes = blocks.held.get(cid.toString()); return bytes !== undefined && isOriginalChunk(bytes) })
  return { budget, meta, blocks, server, options, store: createMediaStore(options), add, holdsChunk }
}

const entry = (own: boolean, at: number, confirmed?: number): HeldOriginal =>
  ({ thread: 'album', at, own, size: SIZE, ...(confirmed === undefined ? {} : { confirmed: { by: 'server', at: confirmed } }) })

describe('the eviction rule', () => {
  it('never lets an own original go unconfirmed nor a kept album\'s, and orders the rest least recently used first', () => {
    expect(mayEvict(entry(true, 1), false)).toBe(false)
    expect(mayEvict(entry(true, 1, 5), false)).toBe(true)
    expect(mayEvict(entry(false, 1), false)).toBe(true)
    expect(mayEvict(entry(false, 1), true)).toBe(false)
    expect(mayEvict(entry(true, 1, 5), true)).toBe(false)
    const order = evictionOrder([
      ['own new', entry(true, 30)],
      ['confirmed old', entry(true, 10, 40)],
      ['fetched', entry(false, 20)],
      ['confirmed newest', entry(true, 50, 60)],
      ['own oldest', entry(true, 1)]
    ], () => false)
    expect(order.map(([key]) => key)).toEqual(['confirmed old', 'fetched', 'confirmed newest'])
  })
})

describe('own originals and a backup server', () => {
  afterEach(() => { vi.useRealTimers() })

  it('keeps own originals under pressure until the server confirms each file whole, then evicts the confirmed least recently used first', async () => {
    // The clock says when each original was last used.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(1_700_000_000_000)
    const { store, server, add, holdsChunk, options, meta, budget } = await device(2)
    const files = [await add(1), await add(2), await add(3)]
    for (const file of files) await store.markOwn('album', file.ref)
    expect(await store.ownOriginals('album')).toEqual({ own: 3, confirmed: 0 })
    expect(await store.evict()).toBe(0)
    expect(files.every(holdsChunk)).toBe(true)

    // The server holds all of files 0 and 1, and every block of file 2 but one chunk.
    server.hold(files[0]!.cids)
    server.hold(files[1]!.cids)
    server.hold(files[2]!.cids.filter((cid) => !cid.equals(files[2]!.cids[0]!)))
    expect(await store.confirm({ thread: 'album' })).toBe(2)
    expect(server.asked).toBe(1) // three small files, one question
    // Confirmations are recorded: a restart still counts them, and asks nothing.
    const restarted = createMediaStore({ ...options, meta })
    expect(await restarted.ownOriginals('album')).toEqual({ own: 3, confirmed: 2 })
    expect(await restarted.ownOriginals('another album')).toEqual({ own: 0, confirmed: 0 })

    // File 0 is opened again: file 1 is now the least recently used, and goes first.
    vi.setSystemTime(1_700_000_060_000)
    await restarted.used('album', files[0]!.ref)
    expect(holdsChunk(files[1]!)).toBe(false)
    expect(holdsChunk(files[0]!)).toBe(true)
    expect(await restarted.holds(files[1]!.ref)).toBe(false)
    // With room for none: file 0 goes too; file 2, unconfirmed, stays whatever the pressure.
    budget.originals = 0
    expect(await restarted.evict()).toBe(1)
    expect(holdsChunk(files[0]!)).toBe(false)
    expect(holdsChunk(files[2]!)).toBe(true)
    expect(await restarted.evict()).toBe(0)
    expect(await restarted.ownOriginals('album')).toEqual({ own: 1, confirmed: 0 })
  })

  it('asks again before letting a confirmed original go: a server that lost a block, or cannot be asked, keeps it here', async () => {
    const { store, server, add, holdsChunk } = await device(0)
    const file = await add(7)
    await store.markOwn('album', file.ref)
    server.hold(file.cids)
    expect(await store.confirm()).toBe(1)

    server.reachable = false
    expect(await store.evict()).toBe(0)
    expect(holdsChunk(file)).toBe(true)
    expect(await store.ownOriginals('album')).toEqual({ own: 1, confirmed: 1 })

    server.reachable = true
    server.lose(file.cids[0]!)
    expect(await store.evict()).toBe(0)
    expect(holdsChunk(file)).toBe(true)
    // The confirmation is taken back, and given again once the server holds the file whole.
    expect(await store.ownOriginals('album')).toEqual({ own: 1, confirmed: 0 })
    await expect(store.confirm()).resolves.toBe(0)
    server.hold(file.cids)
    expect(await store.confirm()).toBe(1)
    expect(await store.evict()).toBe(1)
    expect(holdsChunk(file)).toBe(false)
  })

  it('keeps a kept album\'s own originals even once confirmed, and evicts nothing of its own without a server', async () => {
    const { store, server, add, holdsChunk, options, meta } = await device(0)
    const file = await add(9)
    await store.markOwn('album', file.ref)
    server.hold(file.cids)
    await store.setKeeps('album', true)
    expect(await store.confirm()).toBe(1)
    expect(await store.evict()).toBe(0)
    expect(holdsChunk(file)).toBe(true)
    await store.setKeeps('album', false)
    const { backups: _, ...serverless } = options
    const alone = createMediaStore({ ...serverless, meta })
    expect(await alone.confirm()).toBe(0)
    expect(await alone.evict()).toBe(0)
    expect(holdsChunk(file)).toBe(true)
  })
})

describe('an album\'s own originals, read by album', () => {
  it('counts and confirms one album\'s own originals reading that album\'s entries once, whatever other albums hold', async () => {
    const { store, server, add, meta } = await device(0)
    const counted = meta.list.bind(meta)
    let listed = 0
    meta.list = async function * (prefix, o) { for await (const e of counted(prefix, o)) { listed++; yield e } }
    const small = [await add(1), await add(2)]
    for (const file of small) await store.markOwn('small', file.ref)
    for (let i = 0; i < 40; i++) await store.markOwn('large', (await add(10 + i)).ref)
    await store.ownOriginals('small') // the entries by album exist before anything is counted
    server.hold(small[0]!.cids)
    listed = 0
    expect(await store.checkOwnOriginals('small')).toEqual({ own: 2, confirmed: 1 })
    expect(listed).toBe(2)
    expect(server.asked).toBe(1)
  })

  it('counts own originals recorded before entries were kept by album', async () => {
    const { meta, add, options } = await device(0)
    const files = [await add(1), await add(2)]
    // As an older version wrote them: under the root alone.
    await meta.batch(files.map((f, i) => putValue(heldKey(f.ref.root), { thread: 'album', at: i, own: true, size: SIZE } satisfies HeldOriginal)))
    const store = createMediaStore({ ...options, meta })
    expect(await store.ownOriginals('album')).toEqual({ own: 2, confirmed: 0 })
    expect(await store.ownOriginals('other')).toEqual({ own: 0, confirmed: 0 })
  })

  it('is confirmed by any follower that holds the file whole when another cannot be asked, and checked there before eviction', async () => {
    const { options, add, holdsChunk, meta } = await device(0)
    const gone = memoryServer()
    gone.reachable = false
    const other = memoryServer()
    const store = createMediaStore({ ...options, meta, backups: () => [gone.backup, { ...other.backup, name: 'http://other.test' }] })
    const file = await add(5)
    await store.markOwn('album', file.ref)
    expect(await store.checkOwnOriginals('album')).toEqual({ own: 1, confirmed: 0 })
    other.hold(file.cids)
    expect(await store.checkOwnOriginals('album')).toEqual({ own: 1, confirmed: 1 })
    expect((await getValue<HeldOriginal>(meta, heldKey(file.ref.root)))?.confirmed?.by).toBe('http://other.test')
    // The one that confirmed it is asked first before the file goes; it still holds it, so the other is not asked.
    const askedBefore = gone.asked
    expect(await store.evict()).toBe(1)
    expect(gone.asked).toBe(askedBefore)
    expect(holdsChunk(file)).toBe(false)
    expect(await store.ownOriginals('album')).toEqual({ own: 0, confirmed: 0 })
  })
})

describe('a tab asking how the album\'s own originals stand', () => {
  const startNode = albumNodesPerTest()

  it('counts the originals added on this device, and those the backup server holds once it holds them', async () => {
    const blocks = memoryMediaBlocks()
    const server = memoryServer()
    const node = await startNode({ follower: memoryFollower().transport, topics: memoryTopicBus().join().topics, media: (meta) => createMediaStore({ blocks: blocks.blocks, meta, backups: () => [server.backup] }) })
    const { thread } = await node.tab.request({ type: 'album.create', name: 'Trip' })
    const image = (seed: number, size: number, type = 'image/jpeg'): Blob => new Blob([new Uint8Array(size).fill(seed)], { type })
    const add = async (seed: number): Promise<string> => {
      const original = image(seed, 3 * SIZE, 'image/png')
      return (await node.tab.request({ type: 'photo.addMedia', thread, title: 'Harbour', task: 't', original, preview: image(2, 2_000), thumbnail: image(3, 1_000), media: { type: 'image/png', size: original.size, width: 40, height: 30 } })).photo
    }
    await add(1)
    const removed = await add(4)
    expect(await node.tab.request({ type: 'album.ownOriginals', thread })).toMatchObject({ own: 2, confirmed: 0 })
    // A removed photo's original is no longer counted (nor asked about): the follower lets it go.
    await node.tab.request({ type: 'photo.remove', thread, photo: removed })
    expect(await node.tab.request({ type: 'album.ownOriginals', thread })).toMatchObject({ own: 1, confirmed: 0 })
    server.hold([...blocks.held.keys()].map((key) => CID.parse(key)))
    expect(await node.tab.request({ type: 'album.ownOriginals', thread })).toMatchObject({ type: 'album.ownOriginalsCounted', thread, own: 1, confirmed: 1 })
    // A server out of reach leaves the counts as they stand.
    server.reachable = false
    expect(await node.tab.request({ type: 'album.ownOriginals', thread })).toMatchObject({ own: 1, confirmed: 1 })
  })
})
