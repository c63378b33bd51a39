/**
 * The media blockstore in IndexedDB, in real headless Chromium, as Helia
 * uses it: blocks found by multihash whatever codec the CID names, a missing
 * block reported as interface-store's NotFoundError (so Helia asks peers),
 * reads made together each answered with their own block, concurrent puts
 * (several files at once) and putMany batches all stored
 * and still there after a reopen, getAll paging through every block, deletes, and a closed store
 * refusing by name.
 */
import { deleteDB } from 'idb'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, describe, expect, it } from 'vitest'
import { openIdbMediaBlockstore, type IdbMediaBlockstore } from '../../src/adapters/idb/media-blockstore.ts'

const DAG_CBOR = 0x71
const names: string[] = []
const opened: IdbMediaBlockstore[] = []
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close()
  for (const name of names.splice(0)) await deleteDB(name)
})

const open = async (name = `threads-media-test-${crypto.randomUUID()}`): Promise<{ store: IdbMediaBlockstore, name: string }> => {
  if (!names.includes(name)) names.push(name)
  const store = await openIdbMediaBlockstore(name)
  opened.push(store)
  return { store, name }
}
const block = async (i: number, size = 1000): Promise<{ cid: CID, bytes: Uint8Array }> => {
  const bytes = new Uint8Array(size).map((_, j) => (i * 31 + j) % 256)
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}
const bytesOf = async (parts: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> => {
  const all: number[] = []
  for await (const part of parts) all.push(...part)
  return new Uint8Array(all)
}

describe('media blockstore in IndexedDB', () => {
  it('stores and finds blocks by multihash, and says NotFoundError for one it lacks', async () => {
    const { store } = await open()
    const { cid, bytes } = await block(1)
    await store.put(cid, bytes)
    expect(await bytesOf(store.get(cid))).toEqual(bytes)
    // The same digest under another codec is the same block.
    expect(await store.has(CID.createV1(DAG_CBOR, cid.multihash))).toBe(true)
    const missing = (await block(2)).cid
    expect(await store.has(missing)).toBe(false)
    await expect(bytesOf(store.get(missing))).rejects.toMatchObject({ name: 'NotFoundError' })
  })

  it('answers reads made together (the grid opening several thumbnails) each with its own block, or NotFoundError', async () => {
    const { store } = await open()
    const held = await Promise.all(Array.from({ length: 8 }, async (_, i) => await block(10 + i, 500 + i)))
    for await (const cid of store.putMany(held)) void cid
    const missing = (await block(99)).cid
    const reads = await Promise.allSettled([...held.map((b) => b.cid), missing].map(async (cid) => await bytesOf(store.get(cid))))
    expect(reads.slice(0, -1)).toEqual(held.map((b) => ({ status: 'fulfilled', value: b.bytes })))
    expect(reads.at(-1)).toMatchObject({ status: 'rejected', reason: { name: 'NotFoundError' } })
    expect(await Promise.all([...held.map((b) => b.cid), missing].map(async (cid) => await store.has(cid)))).toEqual([...held.map(() => true), false])
  })

  it('keeps concurrent puts and putMany batches across a reopen, and pages through them all', async () => {
    const { store, name } = await open()
    const single = await Promise.all(Array.from({ length: 100 }, async (_, i) => await block(i)))
    await Promise.all(single.map(async (b) => await store.put(b.cid, b.bytes)))
    const many = await Promise.all(Array.from({ length: 150 }, async (_, i) => await block(1000 + i, 40_000)))
    const stored: string[] = []
    for await (const cid of store.putMany(many)) stored.push(cid.toString())
    expect(stored).toEqual(many.map((b) => b.cid.toString()))
    await store.close()
    const { store: again } = await open(name)
    for (const b of [...single, ...many]) expect(await again.has(b.cid)).toBe(true)
    let count = 0
    for await (const pair of again.getAll()) {
      count++
      expect((await bytesOf(pair.bytes)).length).toBeGreaterThan(0)
    }
    expect(count).toBe(250)
    const gone: string[] = []
    for await (const cid of again.deleteMany(many.map((b) => b.cid))) gone.push(cid.toString())
    expect(gone).toHaveLength(150)
    expect(await again.has(many[0]!.cid)).toBe(false)
    expect(await again.has(single[0]!.cid)).toBe(true)
  })

  it('keeps every block of photos stored at once, each putting its blocks one after another, across a reopen', async () => {
    const { store, name } = await open()
    // Six files stored together, as when many photos are added in one pick: each put awaits the one before it.
    const files = await Promise.all(Array.from({ length: 6 }, async (_, f) => await Promise.all(Array.from({ length: 20 }, async (_, i) => await block(5000 + f * 100 + i, 2_000)))))
    await Promise.all(files.map(async (blocks) => { for (const b of blocks) await store.put(b.cid, b.bytes) }))
    await store.close()
    const { store: again } = await open(name)
    for (const b of files.flat()) expect(await bytesOf(again.get(b.cid))).toEqual(b.bytes)
  })

  it('refuses calls once closed, by name', async () => {
    const { store } = await open()
    await store.close()
    await expect(store.has((await block(1)).cid)).rejects.toMatchObject({ name: 'StoreClosedError' })
  })
})
