import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { encryptMedia, mediaBlockCids, MEDIA_LIMITS, openMedia, readManifest, readMedia, type MediaBlock, type MediaRef } from '../../../src/core/media/index.ts'

const CHUNK = MEDIA_LIMITS.minChunkBytes

function fileOf (size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff
  return bytes
}

/** Pieces of uneven sizes, as a stream hands them. */
function * pieces (bytes: Uint8Array, size = 7777): Iterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

async function encrypt (bytes: Uint8Array, chunkSize = CHUNK): Promise<{ ref: MediaRef, blocks: Map<string, Uint8Array>, order: MediaBlock[] }> {
  const blocks = new Map<string, Uint8Array>()
  const order: MediaBlock[] = []
  const ref = await encryptMedia(pieces(bytes), {
    size: bytes.length,
    type: 'image/png',
    chunkSize,
    put: (block) => { blocks.set(block.cid.toString(), block.bytes); order.push(block) }
  })
  return { ref, blocks, order }
}

const getterOf = (blocks: Map<string, Uint8Array>) => async (cid: CID): Promise<Uint8Array | undefined> => blocks.get(cid.toString())

describe('media: encrypt and open', () => {
  it('gives back the exact bytes of a file spanning several chunks, one chunk at a time', async () => {
    const file = fileOf(CHUNK * 3 + 1234)
    const { ref, blocks, order } = await encrypt(file)
    expect(order.length).toBe(5) // four chunks, then the manifest
    expect(order.at(-1)!.cid.equals(ref.root)).toBe(true)
    const seen: number[] = []
    for await (const chunk of openMedia(ref, getterOf(blocks))) seen.push(chunk.length)
    expect(seen).toEqual([CHUNK, CHUNK, CHUNK, 1234])
    expect(await readMedia(ref, getterOf(blocks))).toEqual(file)
  })

  it('handles an empty file and a file of exactly one chunk', async () => {
    for (const size of [0, CHUNK]) {
      const file = fileOf(size)
      const { ref, blocks } = await encrypt(file)
      expect(await readMedia(ref, getterOf(blocks))).toEqual(file)
    }
  })

  it('stores no plaintext: a marker in the file appears in no block', async () => {
    const file = fileOf(CHUNK * 2)
    const marker = new TextEncoder().encode('PLAINTEXT-MARKER-7f3a')
    file.set(marker, 100)
    file.set(marker, CHUNK + 5)
    const { blocks } = await encrypt(file)
    const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1')
    for (const bytes of blocks.values()) expect(text(bytes)).not.toContain('PLAINTEXT-MARKER-7f3a')
  })

  it('lets anyone list a file\'s blocks from its manifest without the key', async () => {
    const { ref, blocks } = await encrypt(fileOf(CHUNK * 2 + 1))
    const manifest = await readManifest(ref.root, getterOf(blocks))
    expect(manifest.size).toBe(CHUNK * 2 + 1)
    expect(mediaBlockCids(ref.root, manifest).map(String).sort()).toEqual([...blocks.keys()].sort())
  })

  it('refuses a file that is longer or shorter than declared', async () => {
    const put = (): void => {}
    await expect(encryptMedia([fileOf(10)], { size: 11, type: 'x', chunkSize: CHUNK, put })).rejects.toMatchObject({ name: 'MediaSizeMismatchError' })
    await expect(encryptMedia([fileOf(12)], { size: 11, type: 'x', chunkSize: CHUNK, put })).rejects.toMatchObject({ name: 'MediaSizeMismatchError' })
  })

  it('refuses chunk sizes and file sizes past the limits before reading anything', async () => {
    const put = (): void => {}
    await expect(encryptMedia([], { size: 0, type: 'x', chunkSize: MEDIA_LIMITS.maxChunkBytes + 1, put })).rejects.toMatchObject({ name: 'MalformedMediaError' })
    await expect(encryptMedia([], { size: MEDIA_LIMITS.maxFileBytes + 1, type: 'x', put })).rejects.toMatchObject({ name: 'TooLargeError' })
    await expect(encryptMedia([], { size: MEDIA_LIMITS.minChunkBytes * (MEDIA_LIMITS.maxChunks + 1), type: 'x', chunkSize: MEDIA_LIMITS.minChunkBytes, put })).rejects.toMatchObject({ name: 'TooManyChunksError' })
  })
})

describe('media: every failure to open has its name', () => {
  async function collect (ref: MediaRef, blocks: Map<string, Uint8Array>, maxBytes?: number): Promise<unknown> {
    try {
      await readMedia(ref, getterOf(blocks), { maxBytes })
      return undefined
    } catch (error) {
      return error
    }
  }

  it('a missing chunk is BlockNotFoundError naming it', async () => {
    const { ref, blocks, order } = await encrypt(fileOf(CHUNK * 2))
    blocks.delete(order[1]!.cid.toString())
    expect(await collect(ref, blocks)).toMatchObject({ name: 'BlockNotFoundError', cid: order[1]!.cid.toString() })
  })

  it('bytes that do not hash to their CID are BadCidError', async () => {
    const { ref, blocks, order } = await encrypt(fileOf(CHUNK * 2))
    const tampered = order[0]!.bytes.slice()
    tampered[50]! ^= 1
    blocks.set(order[0]!.cid.toString(), tampered)
    expect(await collect(ref, blocks)).toMatchObject({ name: 'BadCidError' })
  })

  it('bytes read once are still refused (BadCidError) when handed over under another block\'s CID', async () => {
    const { ref, blocks, order } = await encrypt(fileOf(CHUNK * 2))
    // Both chunks open, so each one's very bytes were checked against its own CID here…
    expect(await readMedia(ref, getterOf(blocks))).toEqual(fileOf(CHUNK * 2))
    // …and the first chunk's bytes, the same object, in the second one's place are not taken for it.
    blocks.set(order[1]!.cid.toString(), order[0]!.bytes)
    expect(await collect(ref, blocks)).toMatchObject({ name: 'BadCidError', cid: order[1]!.cid.toString() })
  })

  it('chunks swapped in the manifest, or from another file, do not authenticate (DecryptError)', async () => {
    const { ref, blocks, order } = await encrypt(fileOf(CHUNK * 2))
    const manifest = await readManifest(ref.root, getterOf(blocks))
    const swapped = dagCbor.encode({ v: 1, size: manifest.size, chunkSize: manifest.chunkSize, chunks: [manifest.chunks[1], manifest.chunks[0]] })
    const swappedRoot = CID.createV1(dagCbor.code, await sha256.digest(swapped))
    blocks.set(swappedRoot.toString(), swapped)
    expect(await collect({ ...ref, root: swappedRoot }, blocks)).toMatchObject({ name: 'DecryptError' })

    const other = await encrypt(fileOf(CHUNK * 2))
    for (const [cid, bytes] of other.blocks) blocks.set(cid, bytes)
    expect(await collect({ ...other.ref, key: ref.key }, blocks)).toMatchObject({ name: 'DecryptError' })
    expect(order.length).toBe(3)
  })

  it('a truncated manifest (a chunk dropped, the size kept) is refused', async () => {
    const { ref, blocks } = await encrypt(fileOf(CHUNK * 2))
    const manifest = await readManifest(ref.root, getterOf(blocks))
    const cut = dagCbor.encode({ v: 1, size: CHUNK, chunkSize: manifest.chunkSize, chunks: [manifest.chunks[0]] })
    const cutRoot = CID.createV1(dagCbor.code, await sha256.digest(cut))
    blocks.set(cutRoot.toString(), cut)
    // The ref's size no longer matches; with the size changed too, the chunk's associated data does not.
    expect(await collect({ ...ref, root: cutRoot }, blocks)).toMatchObject({ name: 'MalformedMediaError' })
    expect(await collect({ ...ref, root: cutRoot, size: CHUNK }, blocks)).toMatchObject({ name: 'DecryptError' })
  })

  it('a manifest listing too many chunks is TooManyChunksError, a file over the caller\'s limit TooLargeError', async () => {
    const { ref, blocks, order } = await encrypt(fileOf(CHUNK))
    const chunk = order[0]!.cid
    const many = dagCbor.encode({ v: 1, size: CHUNK, chunkSize: CHUNK, chunks: new Array(MEDIA_LIMITS.maxChunks + 1).fill(chunk) })
    const manyRoot = CID.createV1(dagCbor.code, await sha256.digest(many))
    blocks.set(manyRoot.toString(), many)
    expect(await collect({ ...ref, root: manyRoot }, blocks)).toMatchObject({ name: 'TooManyChunksError' })
    expect(await collect(ref, blocks, CHUNK - 1)).toMatchObject({ name: 'TooLargeError' })
  })

  it('a manifest of another shape is MalformedMediaError, an oversized block TooLargeError', async () => {
    const { ref, blocks } = await encrypt(fileOf(CHUNK))
    const bad = dagCbor.encode({ v: 1, size: CHUNK, chunkSize: CHUNK, chunks: [], extra: 1 })
    const badRoot = CID.createV1(dagCbor.code, await sha256.digest(bad))
    blocks.set(badRoot.toString(), bad)
    expect(await collect({ ...ref, root: badRoot }, blocks)).toMatchObject({ name: 'MalformedMediaError' })

    const huge = new Uint8Array(MEDIA_LIMITS.maxManifestBytes + 1)
    const hugeRoot = CID.createV1(dagCbor.code, await sha256.digest(huge))
    blocks.set(hugeRoot.toString(), huge)
    expect(await collect({ ...ref, root: hugeRoot }, blocks)).toMatchObject({ name: 'TooLargeError' })

    const rawRoot = CID.createV1(raw.code, await sha256.digest(bad))
    expect(await collect({ ...ref, root: rawRoot }, blocks)).toMatchObject({ name: 'BlockNotFoundError' })
  })
})
