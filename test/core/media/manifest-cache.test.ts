import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { encryptMedia, knownManifest, MalformedMediaError, readManifest, readMedia, verifiedManifest, type MediaBlock } from '../../../src/core/media/index.ts'
import { MANIFEST_CACHE_BYTES } from '../../../src/core/media/manifest-cache.ts'

async function file (size: number, seed: number): Promise<{ bytes: Uint8Array, blocks: Map<string, Uint8Array>, ref: Awaited<ReturnType<typeof encryptMedia>> }> {
  const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff)
  const blocks = new Map<string, Uint8Array>()
  const ref = await encryptMedia([bytes], { size, type: 'image/jpeg', put: (b: MediaBlock) => { blocks.set(b.cid.toString(), b.bytes) } })
  return { bytes, blocks, ref }
}

describe('manifests kept parsed', () => {
  it('a manifest read before still has its block fetched and checked: changed bytes are refused, a missing block is not found', async () => {
    const { bytes, blocks, ref } = await file(5000, 1)
    expect(await readMedia(ref, async (cid) => blocks.get(cid.toString()))).toEqual(bytes)
    expect(knownManifest(ref.root)).toBeDefined()
    const changed = new Map(blocks)
    const manifest = changed.get(ref.root.toString())!.slice()
    manifest[manifest.length - 1]! ^= 1
    changed.set(ref.root.toString(), manifest)
    await expect(readMedia(ref, async (cid) => changed.get(cid.toString()))).rejects.toMatchObject({ name: 'BadCidError' })
    await expect(readManifest(ref.root, async () => undefined)).rejects.toMatchObject({ name: 'BlockNotFoundError' })
  })

  it('keeps nothing for a block that is not a manifest, and holds a bounded number of bytes', async () => {
    const notManifest = dagCbor.encode({ v: 1, size: 'large' })
    const cid = CID.createV1(dagCbor.code, await sha256.digest(notManifest))
    expect(() => verifiedManifest(cid, notManifest)).toThrow(MalformedMediaError)
    expect(knownManifest(cid)).toBeUndefined()
    const first = await file(100, 2)
    const firstBytes = first.blocks.get(first.ref.root.toString())!
    verifiedManifest(first.ref.root, firstBytes)
    expect(knownManifest(first.ref.root)).toBeDefined()
    // Other manifests enough to fill the budget push the first kept out: of 100 chunks each (some 3.7 kB), so a few hundred do.
    const chunk = CID.createV1(raw.code, await sha256.digest(new Uint8Array(1)))
    const chunkSize = 16 * 1024
    for (let i = 0, kept = 0; kept <= MANIFEST_CACHE_BYTES; i++) {
      const manifest = dagCbor.encode({ v: 1, size: 99 * chunkSize + 1 + i, chunkSize, chunks: Array.from({ length: 100 }, () => chunk) })
      verifiedManifest(CID.createV1(dagCbor.code, await sha256.digest(manifest)), manifest)
      kept += manifest.length
    }
    expect(knownManifest(first.ref.root)).toBeUndefined()
  }, 60_000)
})
