/**
 * Builds the thumbnail pack vectors of docs/PROTOCOL.md ("Thumbnail packs")
 * from fixed inputs, each thumbnail encrypted as the media format vectors are
 * (a fixed file key, nonces of one repeated byte):
 * - `small`: two thumbnails of 300 and 1,000 bytes in one pack block, given
 *   in full (its CID, its bytes, and the blocks it holds in order);
 * - `split`: three thumbnails of 400,000 bytes, more than one pack block
 *   holds, so the third goes into a second pack block; given by CIDs (which
 *   fix their bytes through sha2-256) and the entries of each.
 */
import { base16 } from 'multiformats/bases/base16'
import { encryptMedia, packThumbnails, type MediaBlock, type MediaRef } from '../../src/core/media/index.ts'
import { mediaRefValue } from '../../src/core/media/format.ts'
import * as dagCbor from '@ipld/dag-cbor'

const hex = (bytes: Uint8Array): string => base16.baseEncode(bytes)

/** The fixed inputs. */
export const PACK_VECTOR_INPUTS = {
  files: 'thumbnail n (from 0): byte i = (i × 7 + n) mod 256',
  keys: 'thumbnail n: 32 × (0xb0 + n)',
  nonces: 'thumbnail n: 24 × (0x60 + n)',
  small: [300, 1000],
  split: [400_000, 400_000, 400_000]
} as const

/** Thumbnail `n` of `size` bytes, encrypted from the fixed inputs: its ref and its blocks, manifest first (as a pack takes them). */
export async function vectorThumbnail (n: number, size: number): Promise<{ file: Uint8Array, ref: MediaRef, blocks: MediaBlock[] }> {
  const file = Uint8Array.from({ length: size }, (_, i) => (i * 7 + n) % 256)
  const blocks: MediaBlock[] = []
  const ref = await encryptMedia([file], {
    size,
    type: 'image/jpeg',
    key: new Uint8Array(32).fill(0xb0 + n),
    random: (length) => new Uint8Array(length).fill(0x60 + n),
    put: (block) => { blocks.push(block) }
  })
  return { file, ref, blocks: [blocks.at(-1)!, ...blocks.slice(0, -1)] }
}

/** Computes the vectors. */
export async function buildThumbnailPackVectors () {
  const small = await Promise.all(PACK_VECTOR_INPUTS.small.map(async (size, n) => await vectorThumbnail(n, size)))
  const [pack, ...more] = await packThumbnails(small.map((t) => t.blocks))
  if (pack === undefined || more.length > 0) throw new Error('the small vector is one pack block')
  const split = await Promise.all(PACK_VECTOR_INPUTS.split.map(async (size, n) => await vectorThumbnail(small.length + n, size)))
  const splitPacks = await packThumbnails(split.map((t) => t.blocks))
  const entries = (p: MediaBlock): string[] => (dagCbor.decode(p.bytes) as { blocks: Array<[{ toString(): string }, Uint8Array]> }).blocks.map(([cid]) => cid.toString())
  return {
    inputs: PACK_VECTOR_INPUTS,
    small: {
      refs: small.map((t) => hex(dagCbor.encode(mediaRefValue(t.ref)))),
      pack: { cid: pack.cid.toString(), bytes: hex(pack.bytes), entries: entries(pack) }
    },
    split: {
      refs: split.map((t) => hex(dagCbor.encode(mediaRefValue(t.ref)))),
      packs: splitPacks.map((p) => ({ cid: p.cid.toString(), size: p.bytes.length, entries: entries(p) }))
    }
  }
}
