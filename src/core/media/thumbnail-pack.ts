/**
 * Thumbnail packs (docs/PROTOCOL.md, "Thumbnail packs"): an album's
 * thumbnails, as the media blocks they already are (each thumbnail's manifest
 * and its sealed chunks, encrypted under the thumbnail's own key), gathered
 * into a few content-addressed blocks that a published snapshot names, so a
 * joiner holds every thumbnail after a handful of requests instead of two
 * per photo.
 *
 *   pack block = dag-cbor({ v: 1, blocks: [[CID, bytes], …] })      CID: dag-cbor, sha2-256; at most 1 MiB
 *
 * A pack adds no secret and needs none: every entry is a block of the media
 * format, readable only with the media ref a record carries. Unpacking is
 * bounded and trusts nothing: the pack block must be at most
 * PACK_LIMITS.maxBlockBytes and hash to the CID the signed snapshot names
 * (TooLargeError, BadCidError); it is decoded within an item and depth budget
 * (TooComplexError) to exactly its shape (MalformedThumbnailPackError); each
 * entry kept is a thumbnail block the joiner asked for (the manifest of a
 * wanted thumbnail, or a chunk its manifest, earlier in the same pack block,
 * lists) and must hash to its own CID and be within its size (BadCidError,
 * TooLargeError, MalformedMediaError for a manifest of another shape); other
 * entries are passed over, kept nowhere (a photo removed while its album's
 * pack was made). So a writer can waste at most the pack blocks' bytes of a
 * joiner's bandwidth, and no stranger can put a block in their place.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { decodeBoundedDagCbor } from '../bounded-cbor.ts'
import { ThreadsError, TooLargeError } from '../errors.ts'
import { asMap, exactFields } from '../map-shape.ts'
import { CHUNK_OVERHEAD, chunkLength, MEDIA_LIMITS, parseManifest, verifyMediaBlock, type MediaBlock } from './format.ts'

/** The pack format version this module writes and reads. */
export const THUMBNAIL_PACK_VERSION = 1

/** Limits of thumbnail packs, checked before anything is decoded or kept. */
export const PACK_LIMITS = {
  /** One pack block at most, entries and framing: bitswap moves it in one message. */
  maxBlockBytes: 1024 * 1024,
  /** Pack blocks one snapshot names at most (128 MiB of thumbnails: 3,000 or more of a grid's). */
  maxBlocks: 128,
  /** Entries of one pack block at most. */
  maxEntries: 4096
} as const

/** Framing an entry adds to its block's bytes, at most: list, CID tag and link, byte string header. */
const ENTRY_OVERHEAD = 64

/** A pack block that is not of the format: wrong shape, version or entry. */
export class MalformedThumbnailPackError extends ThreadsError {
  static override readonly errorName = 'MalformedThumbnailPackError'
}

/** A pack block and the files it holds (their indices in the files given, in order). */
export interface ThumbnailPack {
  readonly block: MediaBlock
  readonly files: readonly number[]
}

/**
 * Packs thumbnails' blocks into pack blocks of at most PACK_LIMITS.maxBlockBytes:
 * `files` are each a thumbnail's blocks, its manifest first; a file's blocks
 * stay together in one pack block. A file too large for a pack block is left
 * out (a joiner fetches it alone). At most PACK_LIMITS.maxBlocks pack blocks:
 * files past them are left out too. Each pack block says which files it holds,
 * so a publisher can record a pack's members and reuse it while they stay.
 */
export async function packThumbnailFiles (files: Iterable<readonly MediaBlock[]>): Promise<ThumbnailPack[]> {
  const packs: ThumbnailPack[] = []
  let entries: Array<[CID, Uint8Array]> = []
  let members: number[] = []
  let bytes = 0
  const close = async (): Promise<void> => {
    if (entries.length === 0) return
    const block = dagCbor.encode({ v: THUMBNAIL_PACK_VERSION, blocks: entries })
    packs.push({ block: { cid: CID.createV1(dagCbor.code, await sha256.digest(block)), bytes: block }, files: members })
    entries = []
    members = []
    bytes = 0
  }
  let index = -1
  for (const file of files) {
    index++
    const size = file.reduce((n, b) => n + b.bytes.length + ENTRY_OVERHEAD, 0)
    if (size + ENTRY_OVERHEAD > PACK_LIMITS.maxBlockBytes || file.length > PACK_LIMITS.maxEntries) continue
    if (bytes + size + ENTRY_OVERHEAD > PACK_LIMITS.maxBlockBytes || entries.length + file.length > PACK_LIMITS.maxEntries) await close()
    if (packs.length >= PACK_LIMITS.maxBlocks) break
    for (const block of file) entries.push([block.cid, block.bytes])
    members.push(index)
    bytes += size
  }
  await close()
  return packs
}

/** The pack blocks of {@link packThumbnailFiles}, without which files each holds. */
export async function packThumbnails (files: Iterable<readonly MediaBlock[]>): Promise<MediaBlock[]> {
  return (await packThumbnailFiles(files)).map((p) => p.block)
}

/**
 * Opens pack block `cid` (its bytes from anyone): checks it as the module
 * header says and returns the blocks of the thumbnails whose manifests are in
 * `wanted` (CID texts), each verified against its CID; any bad wanted
 * entry refuses the whole pack block.
 */
export async function unpackThumbnails (cid: CID, bytes: Uint8Array, wanted: ReadonlySet<string>): Promise<MediaBlock[]> {
  if (cid.code !== dagCbor.code) throw new MalformedThumbnailPackError(`a thumbnail pack is a dag-cbor block; ${cid.toString().slice(0, 80)} is not`)
  await verifyMediaBlock(cid, bytes, PACK_LIMITS.maxBlockBytes, 'thumbnail pack')
  let value: unknown
  try {
    // Each entry is a list, a link and a byte string: four items, at most three levels deep.
    value = decodeBoundedDagCbor(bytes, { maxItems: 4 + 4 * PACK_LIMITS.maxEntries, maxDepth: 4 }, 'thumbnail pack')
  } catch (cause) {
    if (cause instanceof ThreadsError) throw cause
    throw new MalformedThumbnailPackError('a thumbnail pack is not dag-cbor', { cause })
  }
  const map = asMap(value, 'thumbnail pack', MalformedThumbnailPackError)
  exactFields(map, ['v', 'blocks'], 'thumbnail pack', MalformedThumbnailPackError)
  if (map.v !== THUMBNAIL_PACK_VERSION) throw new MalformedThumbnailPackError(`thumbnail pack format ${String(map.v).slice(0, 20)} is not supported; this reader knows ${THUMBNAIL_PACK_VERSION}`)
  if (!Array.isArray(map.blocks) || map.blocks.length > PACK_LIMITS.maxEntries) throw new MalformedThumbnailPackError(`a thumbnail pack lists at most ${PACK_LIMITS.maxEntries} blocks`)
  /** Chunks that manifests read so far list, with their largest sealed size. */
  const chunks = new Map<string, number>()
  const out: MediaBlock[] = []
  for (const entry of map.blocks as unknown[]) {
    const link = Array.isArray(entry) && entry.length === 2 && entry[1] instanceof Uint8Array ? CID.asCID(entry[0]) : null
    if (link === null) throw new MalformedThumbnailPackError('a thumbnail pack entry is [CID, bytes]')
    const key = link.toString()
    const entryBytes = (entry as [unknown, Uint8Array])[1]
    if (wanted.has(key)) {
      await verifyMediaBlock(link, entryBytes, MEDIA_LIMITS.maxManifestBytes, 'thumbnail manifest in a pack')
      const manifest = parseManifest(entryBytes)
      manifest.chunks.forEach((c, i) => chunks.set(c.toString(), chunkLength(i, manifest.size, manifest.chunkSize) + CHUNK_OVERHEAD))
    } else if (link.code === raw.code && chunks.has(key)) {
      await verifyMediaBlock(link, entryBytes, chunks.get(key)!, 'thumbnail chunk in a pack')
    } else {
      continue
    }
    out.push({ cid: link, bytes: entryBytes })
  }
  return out
}
