/**
 * Builds the media format vectors of docs/PROTOCOL.md ("Media") from fixed
 * inputs: a file of 16,484 bytes (byte i = i mod 251) in chunks of 16 KiB,
 * file key 32 × a1, chunk i's nonce 24 × (51 + i). Chunk blocks are given by
 * CID (which fixes their bytes through sha2-256) and, for the short last
 * chunk, in full.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { base16 } from 'multiformats/bases/base16'
import { encryptMedia, MEDIA_LIMITS, type MediaBlock } from '../../src/core/media/index.ts'
import { chunkAssociatedData } from '../../src/core/media/format.ts'

const hex = (bytes: Uint8Array): string => base16.baseEncode(bytes)

/** The fixed inputs. */
export const MEDIA_VECTOR_INPUTS = {
  size: MEDIA_LIMITS.minChunkBytes + 100,
  chunkSize: MEDIA_LIMITS.minChunkBytes,
  type: 'image/png',
  file: 'byte i = i mod 251',
  key: hex(new Uint8Array(32).fill(0xa1)),
  nonces: 'chunk i: 24 × (0x51 + i)'
} as const

/** Computes the vectors. */
export async function buildMediaVectors () {
  const { size, chunkSize, type } = MEDIA_VECTOR_INPUTS
  const file = Uint8Array.from({ length: size }, (_, i) => i % 251)
  let nonce = 0x51
  const blocks: MediaBlock[] = []
  const ref = await encryptMedia([file], {
    size, type, chunkSize,
    key: new Uint8Array(32).fill(0xa1),
    random: (length) => new Uint8Array(length).fill(nonce++),
    put: (block) => { blocks.push(block) }
  })
  const manifest = blocks.at(-1)!
  const chunks = blocks.slice(0, -1)
  return {
    inputs: MEDIA_VECTOR_INPUTS,
    chunks: chunks.map((block, index) => ({
      cid: block.cid.toString(),
      aad: hex(chunkAssociatedData(index, chunks.length, size, chunkSize)),
      ...(index === chunks.length - 1 ? { bytes: hex(block.bytes) } : {})
    })),
    manifest: { cid: manifest.cid.toString(), bytes: hex(manifest.bytes) },
    ref: { root: ref.root.toString(), bytes: hex(dagCbor.encode({ v: ref.v, root: ref.root, key: ref.key, size: ref.size, type: ref.type })) }
  }
}
