/**
 * The follower's media blockstore in LMDB: blocks of every size read back as
 * the bytes stored, as plain Uint8Arrays of their own (a pack of a MiB served
 * without a second copy, a manifest of a hundred bytes not a view of Node's
 * shared pool), each read apart from the others.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { openLmdbBlockstore } from '../../src/adapters/node/lmdb-blockstore.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'

async function blockOf (size: number): Promise<{ cid: CID, bytes: Uint8Array }> {
  const bytes = new Uint8Array(randomBytes(size))
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

async function read (store: { get(cid: CID): AsyncIterable<Uint8Array> }, cid: CID): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = []
  for await (const part of store.get(cid)) parts.push(part)
  return parts
}

describe('LMDB media blockstore', { timeout: 60_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('reads every block back whole as a plain Uint8Array of its own, however small or large', async () => {
    const store = await openLmdbBlockstore({ directory: await tempDir('threads-lmdb-blocks-', cleanup), durable: false })
    cleanup(async () => { await store.close() })
    const blocks = await Promise.all([1, 100, 4_000, 40_000, 1024 * 1024].map(blockOf))
    for (const block of blocks) await store.put(block.cid, block.bytes)
    for (const block of blocks) {
      const [first, ...rest] = await read(store, block.cid)
      expect(rest).toEqual([])
      expect(first!.constructor).toBe(Uint8Array)
      expect(first).toEqual(block.bytes)
      // Its memory is its own: the whole of its buffer, and changing it changes no later read.
      expect(first!.buffer.byteLength).toBe(block.bytes.length)
      first![0] = first![0]! ^ 0xff
      expect((await read(store, block.cid))[0]).toEqual(block.bytes)
    }
  })
})
