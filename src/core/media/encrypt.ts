/**
 * Encrypting a file into media blocks, streaming: the input is read in pieces
 * of any size, cut into chunks, and each sealed chunk is handed to `put` as
 * soon as it is made, so at most one chunk of plaintext and one of ciphertext
 * are held at a time whatever the file's size. The manifest block comes last.
 */
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { AbortError } from '../errors.ts'
import { sealChunk } from './chunk-cipher.ts'
import { MediaSizeMismatchError } from './errors.ts'
import { checkFileShape, chunkAssociatedData, chunkBlock, DEFAULT_CHUNK_BYTES, MEDIA_FORMAT_VERSION, MEDIA_KEY_BYTES, manifestBlock, type MediaBlock, type MediaRef } from './format.ts'
import type { CID } from 'multiformats/cid'

/** A file's bytes, in pieces of any size. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>

/** Progress of an encryption, after each chunk. */
export interface EncryptProgress {
  readonly bytes: number
  readonly size: number
}

/** Options of `encryptMedia`. */
export interface EncryptMediaOptions {
  /** The file's size in bytes: the input must hold exactly this many (MediaSizeMismatchError otherwise). */
  readonly size: number
  /** The file's media type, kept in the media ref only. */
  readonly type: string
  /** Receives every block, chunks in order and the manifest last; awaited before the next chunk is made. */
  readonly put: (block: MediaBlock) => Promise<void> | void
  /** Plaintext bytes per chunk (DEFAULT_CHUNK_BYTES unless given; within MEDIA_LIMITS). */
  readonly chunkSize?: number
  /** The file key (a fresh random one unless given: only test vectors give one). */
  readonly key?: Uint8Array
  readonly random?: RandomSource
  readonly signal?: AbortSignal
  readonly onProgress?: (progress: EncryptProgress) => void
}

/**
 * Encrypts a file under a fresh random key into chunk blocks and a manifest,
 * handing each to `put`. Returns the media ref that opens it (to be written
 * into a record's payload).
 */
export async function encryptMedia (input: ByteSource, options: EncryptMediaOptions): Promise<MediaRef> {
  const { size, put, signal } = options
  const random = options.random ?? secureRandom
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_BYTES
  const count = checkFileShape(size, chunkSize)
  const key = options.key ?? random(MEDIA_KEY_BYTES)
  const chunks: CID[] = []
  let buffer = new Uint8Array(Math.min(chunkSize, size))
  let filled = 0
  let total = 0

  const flush = async (): Promise<void> => {
    if (signal?.aborted === true) throw new AbortError('encrypting the file was cancelled', { cause: signal.reason })
    const index = chunks.length
    const block = await chunkBlock(sealChunk(key, buffer.subarray(0, filled), chunkAssociatedData(index, count, size, chunkSize), random))
    await put(block)
    chunks.push(block.cid)
    options.onProgress?.({ bytes: total, size })
    filled = 0
    buffer = new Uint8Array(Math.min(chunkSize, size - total))
  }

  for await (const piece of input) {
    let offset = 0
    while (offset < piece.length) {
      if (total + (piece.length - offset) > size) throw new MediaSizeMismatchError(`the file holds more than the ${size} bytes it was declared with`)
      const take = Math.min(buffer.length - filled, piece.length - offset)
      buffer.set(piece.subarray(offset, offset + take), filled)
      filled += take
      offset += take
      total += take
      if (filled === buffer.length && filled > 0) await flush()
    }
  }
  if (total !== size) throw new MediaSizeMismatchError(`the file holds ${total} bytes where ${size} were declared`)
  if (chunks.length === 0) await flush()
  const manifest = await manifestBlock({ size, chunkSize, chunks })
  await put(manifest)
  return { v: MEDIA_FORMAT_VERSION, root: manifest.cid, key, size, type: options.type }
}
