/**
 * Manifests already parsed, by CID. A manifest's CID fixes its bytes, so what
 * parsing bytes verified against that CID gave holds for every later read of
 * it: a joiner's thumbnail manifest, checked once as its pack is unpacked, is
 * not decoded and re-encoded again (canonical form) each time the grid opens
 * the thumbnail. Only bytes verified against the CID enter; the cache holds
 * at most MANIFEST_CACHE_BYTES of manifests (a thumbnail's is some 100
 * bytes), the first kept first out.
 */
import type { CID } from 'multiformats/cid'
import { parseManifest, type MediaManifest } from './format.ts'

/** Bytes of manifests kept parsed at most: some 10,000 thumbnails' manifests (a few MB parsed). */
export const MANIFEST_CACHE_BYTES = 1024 * 1024

/** By CID text, in the order kept: each manifest with the length of its block. */
const parsed = new Map<string, { readonly manifest: MediaManifest, readonly bytes: number }>()
let held = 0

/** The manifest `cid` names, if it was parsed from verified bytes and is still kept. */
export function knownManifest (cid: CID): MediaManifest | undefined {
  return parsed.get(cid.toString())?.manifest
}

/**
 * Parses manifest block `bytes`, which the caller has verified against `cid`
 * (verifyMediaBlock), or gives what parsing them gave before. Throws as
 * parseManifest does; nothing refused is kept.
 */
export function verifiedManifest (cid: CID, bytes: Uint8Array): MediaManifest {
  const known = knownManifest(cid)
  if (known !== undefined) return known
  const manifest = parseManifest(bytes)
  // Frozen: every reader of this CID is given this same manifest.
  Object.freeze(manifest.chunks)
  Object.freeze(manifest)
  // One huge manifest (a 4 GiB original's) must not push out every thumbnail's.
  if (bytes.length > MANIFEST_CACHE_BYTES / 8) return manifest
  parsed.set(cid.toString(), { manifest, bytes: bytes.length })
  held += bytes.length
  for (const [key, entry] of parsed) {
    if (held <= MANIFEST_CACHE_BYTES) break
    parsed.delete(key)
    held -= entry.bytes
  }
  return manifest
}
