/**
 * Opening media by CID through a block getter: the manifest, then each chunk
 * in order, every block checked against its CID and size before it is
 * decrypted, and yielded as soon as it opens. Any failure is a named error:
 * BlockNotFoundError (the getter has no such block), BadCidError (wrong
 * hash), TooLargeError (block or file past a limit), TooManyChunksError,
 * MalformedMediaError (manifest or ref), DecryptError (a chunk that does not
 * authenticate: wrong key, wrong place, changed bytes).
 */
import type { CID } from 'multiformats/cid'
import { AbortError, BlockNotFoundError, ThreadsError, TooLargeError } from '../errors.ts'
import { openChunk } from './chunk-cipher.ts'
import { MalformedMediaError } from './errors.ts'
import { CHUNK_OVERHEAD, chunkAssociatedData, chunkLength, MEDIA_LIMITS, verifyMediaBlock, type MediaManifest, type MediaRef } from './format.ts'
import { verifiedManifest } from './manifest-cache.ts'

/** Reads a block by CID; returns undefined (or throws BlockNotFoundError) when it cannot. */
export type BlockGetter = (cid: CID, options: { signal?: AbortSignal }) => Promise<Uint8Array | undefined>

/** Options of the readers. */
export interface OpenMediaOptions {
  readonly signal?: AbortSignal
  /** Refuse files larger than this (TooLargeError); MEDIA_LIMITS.maxFileBytes unless given. */
  readonly maxBytes?: number
  readonly onProgress?: (progress: { bytes: number, size: number }) => void
}

/** Fetches one block through `get` and checks it against its CID and `maxBytes`. */
export async function getVerifiedBlock (get: BlockGetter, cid: CID, maxBytes: number, what: string, signal?: AbortSignal): Promise<Uint8Array> {
  if (signal?.aborted === true) throw new AbortError(`reading ${what} was cancelled`, { cause: signal.reason })
  let bytes: Uint8Array | undefined
  try {
    bytes = await get(cid, { signal })
  } catch (cause) {
    if (cause instanceof ThreadsError) throw cause
    throw new BlockNotFoundError(`${what} ${cid.toString()} could not be read`, cid.toString(), { cause })
  }
  if (bytes === undefined) throw new BlockNotFoundError(`${what} ${cid.toString()} is not held`, cid.toString())
  await verifyMediaBlock(cid, bytes, maxBytes, what)
  return bytes
}

/**
 * Reads and checks a manifest by its CID: needs no key, so a follower can learn
 * the chunks a record's media consists of.
 */
export async function readManifest (root: CID, get: BlockGetter, options: { signal?: AbortSignal } = {}): Promise<MediaManifest> {
  // Fetched and checked each time (the block must be held), parsed once while it is kept parsed.
  return verifiedManifest(root, await getVerifiedBlock(get, root, MEDIA_LIMITS.maxManifestBytes, 'manifest', options.signal))
}

/** Every block CID of a media file: its manifest and its chunks. */
export function mediaBlockCids (root: CID, manifest: MediaManifest): CID[] {
  return [root, ...manifest.chunks]
}

/**
 * Opens a file: yields its plaintext chunk by chunk, in order. Holds one chunk
 * at a time. The manifest must agree with the ref's size.
 */
export async function * openMedia (ref: MediaRef, get: BlockGetter, options: OpenMediaOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  yield * openChunks(ref, get, options)
}

/** openMedia, each chunk's plaintext written at its place in `into` (the whole file's size) when given. */
async function * openChunks (ref: MediaRef, get: BlockGetter, options: OpenMediaOptions, into?: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  const maxBytes = options.maxBytes ?? MEDIA_LIMITS.maxFileBytes
  if (ref.size > maxBytes) throw new TooLargeError(`a file of ${ref.size} bytes is larger than the ${maxBytes} bytes allowed here`)
  const manifest = await readManifest(ref.root, get, options)
  if (manifest.size !== ref.size) throw new MalformedMediaError(`manifest says ${manifest.size} bytes where the media ref says ${ref.size}`)
  const count = manifest.chunks.length
  let bytes = 0
  for (let index = 0; index < count; index++) {
    const cid = manifest.chunks[index]!
    const expected = chunkLength(index, manifest.size, manifest.chunkSize)
    const sealed = await getVerifiedBlock(get, cid, expected + CHUNK_OVERHEAD, `chunk ${index}`, options.signal)
    if (sealed.length !== expected + CHUNK_OVERHEAD) throw new MalformedMediaError(`chunk ${index} is ${sealed.length} bytes where ${expected + CHUNK_OVERHEAD} were due`)
    const plaintext = openChunk(ref.key, sealed, chunkAssociatedData(index, count, manifest.size, manifest.chunkSize), `chunk ${index} (${cid.toString()})`, into?.subarray(bytes, bytes + expected))
    bytes += plaintext.length
    options.onProgress?.({ bytes, size: manifest.size })
    yield plaintext
  }
}

/** Reads a whole file into one array (for small files: thumbnails, previews). */
export async function readMedia (ref: MediaRef, get: BlockGetter, options: OpenMediaOptions = {}): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? MEDIA_LIMITS.maxFileBytes
  // Checked before the file's size is allocated (openChunks checks it again).
  if (ref.size > maxBytes) throw new TooLargeError(`a file of ${ref.size} bytes is larger than the ${maxBytes} bytes allowed here`)
  const out = new Uint8Array(ref.size)
  // Each chunk is decrypted straight into its place.
  for await (const chunk of openChunks(ref, get, options, out)) void chunk
  return out
}
