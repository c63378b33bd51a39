/**
 * The media format, version 1 (docs/PROTOCOL.md, "Media"): a file's original
 * bytes, split into chunks, each sealed under the file's own random key, stored
 * as content-addressed blocks, and listed by a manifest block.
 *
 *   chunk block    = nonce(24) ‖ XChaCha20-Poly1305(fileKey, nonce, aad, chunk)     CID: raw (0x55), sha2-256
 *   aad            = dag-cbor({ purpose: "threads/media/v1/chunk", index, count, size, chunkSize })
 *   manifest block = dag-cbor({ v: 1, size, chunkSize, chunks: [CID…] })            CID: dag-cbor, sha2-256
 *   media ref      = { v: 1, root: CID (the manifest), key: bstr(32), size, type }   (inside a record's payload)
 *
 * The manifest names no key and no type: anyone may hold, walk and serve the
 * blocks (a follower, any IPFS node pinning the root), and only a holder of the
 * media ref, which travels sealed with the read key, can open them. The
 * associated data binds each chunk to its position, the number of chunks and
 * the file's size, so chunks cannot be reordered, dropped, repeated or moved
 * into another file of the same key unnoticed; the manifest's CID, named in the
 * signed record, fixes the list itself.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { BadCidError, TooLargeError } from '../errors.ts'
import { asMap, exactFields } from '../map-shape.ts'
import { MalformedMediaError, TooManyChunksError } from './errors.ts'

/** The media format version this module writes and reads. */
export const MEDIA_FORMAT_VERSION = 1
/** Nonce (24) and tag (16) a sealed chunk adds to its plaintext. */
export const CHUNK_OVERHEAD = 40
/** Length of a file key. */
export const MEDIA_KEY_BYTES = 32

/** Limits of the format, checked before anything is fetched, hashed or decoded. */
export const MEDIA_LIMITS = {
  /** Plaintext bytes of one chunk at most (and the default chunk size). */
  maxChunkBytes: 1024 * 1024,
  /** Plaintext bytes of one chunk at least (except a file's last chunk). */
  minChunkBytes: 16 * 1024,
  /** Chunks of one file at most. */
  maxChunks: 4096,
  /** Plaintext bytes of one file at most: 4 GiB at the default chunk size. */
  maxFileBytes: 4096 * 1024 * 1024,
  /** A manifest block at most (4,096 links of 41 bytes, and framing). */
  maxManifestBytes: 192 * 1024,
  /** Length of a media type in a media ref, in UTF-8 bytes. */
  maxTypeBytes: 128
} as const

/** The plaintext chunk size files are split into unless told otherwise. */
export const DEFAULT_CHUNK_BYTES = MEDIA_LIMITS.maxChunkBytes

/** A manifest: the public structure of an encrypted file. */
export interface MediaManifest {
  readonly v: number
  /** Plaintext bytes of the whole file. */
  readonly size: number
  /** Plaintext bytes of every chunk but the last. */
  readonly chunkSize: number
  /** The chunk blocks, in order (raw CIDs). */
  readonly chunks: readonly CID[]
}

/**
 * What a member needs to find and open a file: travels inside a record's
 * payload (sealed with the read key), never in anything a follower reads.
 */
export interface MediaRef {
  readonly v: number
  /** The manifest block's CID. */
  readonly root: CID
  /** The file's own random key. */
  readonly key: Uint8Array
  /** Plaintext bytes of the file. */
  readonly size: number
  /** Media type, as the file declared it ("image/jpeg", …). */
  readonly type: string
}

/** A block of the format, ready to store or send. */
export interface MediaBlock {
  readonly cid: CID
  readonly bytes: Uint8Array
}

/** The number of chunks a file of `size` bytes takes at `chunkSize` (at least one, so an empty file has a chunk). */
export function chunkCount (size: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(size / chunkSize))
}

/** The plaintext length of chunk `index` of a file. */
export function chunkLength (index: number, size: number, chunkSize: number): number {
  return Math.min(chunkSize, size - index * chunkSize)
}

/** Checks a file's size and chunk size against the limits; returns the chunk count. */
export function checkFileShape (size: number, chunkSize: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new MalformedMediaError(`a file size must be an integer from 0 to 2^53 − 1, not ${String(size).slice(0, 30)}`)
  if (!Number.isSafeInteger(chunkSize) || chunkSize < MEDIA_LIMITS.minChunkBytes || chunkSize > MEDIA_LIMITS.maxChunkBytes) {
    throw new MalformedMediaError(`a chunk size must be an integer from ${MEDIA_LIMITS.minChunkBytes} to ${MEDIA_LIMITS.maxChunkBytes}, not ${String(chunkSize).slice(0, 30)}`)
  }
  if (size > MEDIA_LIMITS.maxFileBytes) throw new TooLargeError(`a file of ${size} bytes is larger than the ${MEDIA_LIMITS.maxFileBytes} bytes allowed`)
  const count = chunkCount(size, chunkSize)
  if (count > MEDIA_LIMITS.maxChunks) throw new TooManyChunksError(`a file of ${size} bytes in chunks of ${chunkSize} takes ${count} chunks; at most ${MEDIA_LIMITS.maxChunks} are allowed`)
  return count
}

/** The associated data that binds a chunk to its place in its file. */
export function chunkAssociatedData (index: number, count: number, size: number, chunkSize: number): Uint8Array {
  return dagCbor.encode({ purpose: 'threads/media/v1/chunk', index, count, size, chunkSize })
}

// ---- Blocks ------------------------------------------------------------------

/** Builds a chunk block (raw codec, sha2-256). */
export async function chunkBlock (bytes: Uint8Array): Promise<MediaBlock> {
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

/** Encodes a manifest as its block. */
export async function manifestBlock (manifest: Omit<MediaManifest, 'v'>): Promise<MediaBlock> {
  const bytes = dagCbor.encode({ v: MEDIA_FORMAT_VERSION, size: manifest.size, chunkSize: manifest.chunkSize, chunks: manifest.chunks })
  if (bytes.length > MEDIA_LIMITS.maxManifestBytes) throw new TooLargeError(`a manifest of ${bytes.length} bytes is larger than the ${MEDIA_LIMITS.maxManifestBytes} bytes allowed`)
  return { cid: CID.createV1(dagCbor.code, await sha256.digest(bytes)), bytes }
}

/*
 * What was already checked of blocks here, by the identity of their bytes: the
 * digest a bytes object hashed to, and the manifest it parsed to. A
 * thumbnail's blocks are checked when its pack is opened and again by every
 * reader that opens it; where a store hands back the very object it was given
 * (a store in memory), checking again would hash and decode the same memory to
 * the same answer. Any other bytes (a copy read from IndexedDB, a block from a
 * peer) are checked in full. Sound because a block's bytes are never written
 * after they are made or received: nothing here writes into a block it did not
 * just allocate. Weak maps: remembering keeps nothing alive.
 */
const hashedTo = new WeakMap<Uint8Array, Uint8Array>()
const parsedTo = new WeakMap<Uint8Array, MediaManifest>()

/** Whether `cid` is a CIDv1 with a sha2-256 digest of the codec this format uses for that kind of block. */
function isFormatCid (cid: CID, codec: number): boolean {
  return cid.version === 1 && cid.code === codec && cid.multihash.code === sha256.code && cid.multihash.size === 32
}

/**
 * Checks that `bytes` are the block `cid` names, are at most `maxBytes`, and
 * that `cid` is of the format (sha2-256, raw for chunks, dag-cbor for
 * manifests): TooLargeError or BadCidError otherwise. The very bytes object
 * already hashed to that digest here (a thumbnail block checked as its pack
 * was opened, then read back from a store in memory) is not hashed again
 * (see `hashedTo`); every other is.
 */
export async function verifyMediaBlock (cid: CID, bytes: Uint8Array, maxBytes: number, what: string): Promise<void> {
  if (!isFormatCid(cid, raw.code) && !isFormatCid(cid, dagCbor.code)) throw new BadCidError(`${what} ${cid.toString().slice(0, 80)} is not a CIDv1 of raw or dag-cbor with sha2-256`, cid.toString())
  if (bytes.length > maxBytes) throw new TooLargeError(`${what} ${cid.toString()} is ${bytes.length} bytes; the limit is ${maxBytes}`)
  const known = hashedTo.get(bytes)
  if (known !== undefined && equalBytes(known, cid.multihash.digest)) return
  const digest = await sha256.digest(bytes)
  if (!equalBytes(digest.digest, cid.multihash.digest)) throw new BadCidError(`${what} bytes do not hash to ${cid.toString()}`, cid.toString())
  hashedTo.set(bytes, digest.digest)
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}

// ---- Parsing -------------------------------------------------------------------

/**
 * Decodes and checks a manifest block's bytes (already verified against its
 * CID): canonical dag-cbor, exactly its fields, sizes within the limits, one
 * raw sha2-256 CID per chunk the size needs. The very bytes object parsed
 * before gives the same (frozen) manifest without being decoded again.
 */
export function parseManifest (bytes: Uint8Array): MediaManifest {
  const known = parsedTo.get(bytes)
  if (known !== undefined) return known
  const manifest = decodeManifest(bytes)
  parsedTo.set(bytes, manifest)
  return manifest
}

function decodeManifest (bytes: Uint8Array): MediaManifest {
  if (bytes.length > MEDIA_LIMITS.maxManifestBytes) throw new TooLargeError(`a manifest of ${bytes.length} bytes is larger than the ${MEDIA_LIMITS.maxManifestBytes} bytes allowed`)
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (cause) {
    throw new MalformedMediaError('manifest is not valid dag-cbor', { cause })
  }
  if (!equalBytes(dagCbor.encode(value), bytes)) throw new MalformedMediaError('manifest is not in canonical dag-cbor form')
  const map = asMap(value, 'manifest', MalformedMediaError)
  exactFields(map, ['v', 'size', 'chunkSize', 'chunks'], 'manifest', MalformedMediaError)
  if (map.v !== MEDIA_FORMAT_VERSION) throw new MalformedMediaError(`manifest has format version ${String(map.v).slice(0, 20)}; this reader knows version ${MEDIA_FORMAT_VERSION}`)
  const size = map.size as number
  const chunkSize = map.chunkSize as number
  const count = checkFileShape(size, chunkSize)
  if (!Array.isArray(map.chunks)) throw new MalformedMediaError('manifest field "chunks" must be a list')
  if (map.chunks.length > MEDIA_LIMITS.maxChunks) throw new TooManyChunksError(`manifest lists ${map.chunks.length} chunks; at most ${MEDIA_LIMITS.maxChunks} are allowed`)
  if (map.chunks.length !== count) throw new MalformedMediaError(`manifest lists ${map.chunks.length} chunks where a file of ${size} bytes in chunks of ${chunkSize} has ${count}`)
  const chunks = map.chunks.map((entry, i) => {
    const cid = CID.asCID(entry)
    if (cid === null || !isFormatCid(cid, raw.code)) throw new MalformedMediaError(`manifest chunk ${i} must be a link to a CIDv1 raw sha2-256 block`)
    return cid
  })
  return Object.freeze({ v: MEDIA_FORMAT_VERSION, size, chunkSize, chunks: Object.freeze(chunks) })
}

/** The value a media ref is written as inside a payload (dag-cbor). */
export function mediaRefValue (ref: MediaRef): Record<string, unknown> {
  return { v: ref.v, root: ref.root, key: ref.key, size: ref.size, type: ref.type }
}

/** Checks the shape of a media ref read from a payload. */
export function parseMediaRef (value: unknown): MediaRef {
  const map = asMap(value, 'media ref', MalformedMediaError)
  exactFields(map, ['v', 'root', 'key', 'size', 'type'], 'media ref', MalformedMediaError)
  if (map.v !== MEDIA_FORMAT_VERSION) throw new MalformedMediaError(`media ref has format version ${String(map.v).slice(0, 20)}; this reader knows version ${MEDIA_FORMAT_VERSION}`)
  const root = CID.asCID(map.root)
  if (root === null || !isFormatCid(root, dagCbor.code)) throw new MalformedMediaError('media ref field "root" must be a link to a CIDv1 dag-cbor sha2-256 manifest')
  if (!(map.key instanceof Uint8Array) || map.key.length !== MEDIA_KEY_BYTES) throw new MalformedMediaError(`media ref field "key" must be ${MEDIA_KEY_BYTES} bytes`)
  if (!Number.isSafeInteger(map.size) || (map.size as number) < 0 || (map.size as number) > MEDIA_LIMITS.maxFileBytes) throw new MalformedMediaError(`media ref field "size" must be an integer from 0 to ${MEDIA_LIMITS.maxFileBytes}`)
  if (typeof map.type !== 'string' || utf8ToBytes(map.type).length > MEDIA_LIMITS.maxTypeBytes) throw new MalformedMediaError(`media ref field "type" must be text of at most ${MEDIA_LIMITS.maxTypeBytes} UTF-8 bytes`)
  return { v: MEDIA_FORMAT_VERSION, root, key: map.key, size: map.size as number, type: map.type }
}
