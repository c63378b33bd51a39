import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { encryptMedia, PACK_LIMITS, packThumbnails, readMedia, unpackThumbnails, type MediaBlock, type MediaRef } from '../../../src/core/media/index.ts'

/** A thumbnail-sized file with a pattern of its own. */
function thumbnailBytes (size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 17 + seed * 101 + (i >> 7)) & 0xff
  return bytes
}

interface Thumbnail { readonly bytes: Uint8Array, readonly ref: MediaRef, readonly blocks: MediaBlock[] }

/** Encrypts thumbnails as the app stores them; each one's blocks with its manifest first, as a pack takes them. */
async function thumbnails (count: number, size = 30_000): Promise<Thumbnail[]> {
  return await Promise.all(Array.from({ length: count }, async (_, i) => {
    const bytes = thumbnailBytes(size + i, i)
    const blocks: MediaBlock[] = []
    const ref = await encryptMedia([bytes], { size: bytes.length, type: 'image/jpeg', put: (b) => { blocks.push(b) } })
    return { bytes, ref, blocks: [blocks.at(-1)!, ...blocks.slice(0, -1)] }
  }))
}

async function blockOf (value: unknown): Promise<MediaBlock> {
  const bytes = dagCbor.encode(value)
  return { cid: CID.createV1(dagCbor.code, await sha256.digest(bytes)), bytes }
}

const wantedOf = (all: readonly Thumbnail[]): Set<string> => new Set(all.map((t) => t.ref.root.toString()))

describe('thumbnail packs', () => {
  it('a joiner opening thumbnails from the packs gets the same bytes as fetching each thumbnail\'s blocks', async () => {
    const album = await thumbnails(60, 20_000)
    const packs = await packThumbnails(album.map((t) => t.blocks))
    expect(packs.length).toBeGreaterThan(1)
    expect(packs.every((p) => p.bytes.length <= PACK_LIMITS.maxBlockBytes)).toBe(true)
    const held = new Map<string, Uint8Array>()
    for (const pack of packs) for (const block of await unpackThumbnails(pack.cid, pack.bytes, wantedOf(album))) held.set(block.cid.toString(), block.bytes)
    const fromPacks = async (cid: CID): Promise<Uint8Array | undefined> => held.get(cid.toString())
    const one = new Map(album.flatMap((t) => t.blocks.map((b) => [b.cid.toString(), b.bytes] as const)))
    const oneByOne = async (cid: CID): Promise<Uint8Array | undefined> => one.get(cid.toString())
    for (const t of album) {
      const packed = await readMedia(t.ref, fromPacks)
      expect(packed).toEqual(await readMedia(t.ref, oneByOne))
      expect(packed).toEqual(t.bytes)
    }
  }, 120_000)

  it('keeps only the thumbnails asked for: blocks of photos not shown are passed over', async () => {
    const album = await thumbnails(6)
    const [pack] = await packThumbnails(album.map((t) => t.blocks))
    const kept = await unpackThumbnails(pack!.cid, pack!.bytes, wantedOf(album.slice(0, 2)))
    expect(kept.map((b) => b.cid.toString()).sort()).toEqual(album.slice(0, 2).flatMap((t) => t.blocks.map((b) => b.cid.toString())).sort())
  })

  it('refuses a pack whose bytes are not the block its CID names (a stranger\'s substitute) with BadCidError', async () => {
    const album = await thumbnails(3)
    const [pack] = await packThumbnails(album.map((t) => t.blocks))
    const [other] = await packThumbnails((await thumbnails(3)).map((t) => t.blocks))
    await expect(unpackThumbnails(pack!.cid, other!.bytes, wantedOf(album))).rejects.toMatchObject({ name: 'BadCidError' })
  })

  it('refuses a pack holding a forged thumbnail block, even under a CID of its own, with BadCidError', async () => {
    const album = await thumbnails(3)
    const entries = album.flatMap((t) => t.blocks.map((b) => [b.cid, b.bytes] as [CID, Uint8Array]))
    const forged = entries[1]![1].slice()
    forged[100] = forged[100]! ^ 1
    entries[1] = [entries[1]![0], forged]
    const pack = await blockOf({ v: 1, blocks: entries })
    await expect(unpackThumbnails(pack.cid, pack.bytes, wantedOf(album))).rejects.toMatchObject({ name: 'BadCidError' })
  })

  it('refuses an oversized pack with TooLargeError before decoding it', async () => {
    const album = await thumbnails(40, 30_000)
    const pack = await blockOf({ v: 1, blocks: album.flatMap((t) => t.blocks.map((b) => [b.cid, b.bytes])) })
    expect(pack.bytes.length).toBeGreaterThan(PACK_LIMITS.maxBlockBytes)
    await expect(unpackThumbnails(pack.cid, pack.bytes, wantedOf(album))).rejects.toMatchObject({ name: 'TooLargeError' })
  }, 60_000)

  it('refuses packs of another shape with MalformedThumbnailPackError, and too many items with TooComplexError', async () => {
    const album = await thumbnails(1)
    const wanted = wantedOf(album)
    for (const value of [{ v: 2, blocks: [] }, { v: 1 }, { v: 1, blocks: [], extra: 1 }, { v: 1, blocks: [['x', new Uint8Array(1)]] }, [1, 2]]) {
      const pack = await blockOf(value)
      await expect(unpackThumbnails(pack.cid, pack.bytes, wanted)).rejects.toMatchObject({ name: 'MalformedThumbnailPackError' })
    }
    const many = await blockOf({ v: 1, blocks: Array.from({ length: PACK_LIMITS.maxEntries + 1 }, () => [album[0]!.ref.root, new Uint8Array(0)]) })
    await expect(unpackThumbnails(many.cid, many.bytes, wanted)).rejects.toMatchObject({ name: 'TooComplexError' })
  })

  it('leaves out a thumbnail too large for a pack block (it is fetched alone)', async () => {
    const big = await thumbnails(1, PACK_LIMITS.maxBlockBytes)
    expect(await packThumbnails(big.map((t) => t.blocks))).toEqual([])
  })
})
