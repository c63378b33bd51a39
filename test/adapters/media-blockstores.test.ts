/**
 * The follower's media blockstores, SQLite (today's) and LMDB (before it), held
 * to one contract: blocks of every size read back as the bytes stored, as plain
 * Uint8Arrays of their own (a pack of a MiB served without a second copy, a
 * manifest of a hundred bytes not a view of Node's shared pool), each read apart
 * from the others; keyed by multihash; a missing block is NotFoundError; blocks
 * put without waiting for each other all survive a reopen.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { Blockstore } from 'interface-blockstore'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { openLmdbBlockstore } from '../../src/adapters/node/lmdb-blockstore.ts'
import { openSqliteBlockstore } from '../../src/adapters/node/sqlite-blockstore.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'

type MediaBlockstore = Blockstore & { close(): Promise<void>, byteLength(): number }
const DAG_CBOR = 0x71

async function blockOf (size: number): Promise<{ cid: CID, bytes: Uint8Array }> {
  const bytes = new Uint8Array(randomBytes(size))
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

async function read (store: { get(cid: CID): AsyncIterable<Uint8Array> | Iterable<Uint8Array> }, cid: CID): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = []
  for await (const part of store.get(cid)) parts.push(part)
  return parts
}

/** Byte equality (deep equality of a MiB takes seconds). */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)

const stores: Array<[string, (options: { directory: string, durable?: boolean }) => Promise<MediaBlockstore>]> = [
  ['SQLite', openSqliteBlockstore],
  ['LMDB', openLmdbBlockstore]
]

describe.each(stores)('%s media blockstore', { timeout: 60_000 }, (_name, openStore) => {
  const cleanup = cleanupAfterAll()
  const opened = async (directory: string, durable = false): Promise<MediaBlockstore> => {
    const store = await openStore({ directory, durable })
    cleanup(async () => { await store.close().catch(() => {}) })
    return store
  }

  it('reads every block back whole as a plain Uint8Array of its own, however small or large', async () => {
    const store = await opened(await tempDir('threads-media-blocks-', cleanup))
    const blocks = await Promise.all([1, 100, 4_000, 40_000, 1024 * 1024].map(blockOf))
    for (const block of blocks) await store.put(block.cid, block.bytes)
    for (const block of blocks) {
      const [first, ...rest] = await read(store, block.cid)
      expect(rest).toEqual([])
      expect(first!.constructor).toBe(Uint8Array)
      expect(same(first!, block.bytes)).toBe(true)
      // Its memory is its own: the whole of its buffer, and changing it changes no later read.
      expect(first!.buffer.byteLength).toBe(block.bytes.length)
      first![0] = first![0]! ^ 0xff
      expect(same((await read(store, block.cid))[0]!, block.bytes)).toBe(true)
    }
    expect(store.byteLength()).toBe(blocks.reduce((total, block) => total + block.bytes.length, 0))
  })

  it('keeps a copy of what was put, finds a block by any CID of its digest, and says NotFoundError for one it lacks', async () => {
    const store = await opened(await tempDir('threads-media-blocks-', cleanup))
    const block = await blockOf(1000)
    const given = block.bytes.slice()
    await store.put(block.cid, given)
    given.fill(0)
    const sameDigest = CID.createV1(DAG_CBOR, block.cid.multihash)
    expect(await store.has(sameDigest)).toBe(true)
    expect((await read(store, sameDigest))[0]).toEqual(block.bytes)
    const missing = await blockOf(10)
    expect(await store.has(missing.cid)).toBe(false)
    await expect(read(store, missing.cid)).rejects.toMatchObject({ name: 'NotFoundError' })
    await store.delete(block.cid)
    expect(await store.has(block.cid)).toBe(false)
    await expect(read(store, block.cid)).rejects.toMatchObject({ name: 'NotFoundError' })
  })

  it('keeps every durable put made at once across a reopen, and lists them all', async () => {
    const directory = await tempDir('threads-media-blocks-', cleanup)
    const store = await opened(directory, true)
    const blocks = await Promise.all(Array.from({ length: 150 }, async (_, i) => await blockOf(100 + i)))
    await Promise.all(blocks.map(async (block) => await store.put(block.cid, block.bytes)))
    await store.close()
    const reopened = await opened(directory)
    for (const block of blocks) expect((await read(reopened, block.cid))[0]).toEqual(block.bytes)
    const listed = new Map<string, Uint8Array>()
    for await (const pair of reopened.getAll()) listed.set(Buffer.from(pair.cid.multihash.bytes).toString('hex'), (await read({ get: () => pair.bytes }, pair.cid))[0]!)
    expect(listed.size).toBe(blocks.length)
    for (const block of blocks) expect(listed.get(Buffer.from(block.cid.multihash.bytes).toString('hex'))).toEqual(block.bytes)
  })
})
