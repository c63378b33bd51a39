/**
 * Blocks: dag-cbor bytes addressed by CIDv1 (dag-cbor codec, sha2-256). Every
 * block read from a peer or from disk goes through `verifyBlock`, which checks
 * size, codec, hash function and digest before anything decodes it.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { sha256 as platformSha256 } from 'multiformats/hashes/sha2'
import { base32 } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import { from as hasherFrom } from 'multiformats/hashes/hasher'
import { equals } from 'multiformats/bytes'
import { BadCidError, MalformedRecordError, TooLargeError } from '../errors.ts'
import type { RawBlock } from '../storage/interfaces.ts'

/**
 * sha2-256 as a synchronous multiformats hasher. multiformats' own sha2-256 is
 * native and synchronous where the platform allows it (Node); where it is
 * asynchronous (WebCrypto in browsers) the audited @noble/hashes one is used,
 * because block encoding and verification must stay synchronous.
 */
export const sha256Hasher = platformSha256.digest(new Uint8Array(0)) instanceof Promise
  ? hasherFrom({ name: 'sha2-256', code: 0x12, encode: (bytes: Uint8Array) => nobleSha256(bytes) })
  : platformSha256

/** A freshly encoded block: its CID both as a string and as a link object. */
export interface EncodedBlock extends RawBlock {
  readonly link: CID
}

/** Encodes a value as a dag-cbor block and computes its CID. */
export function encodeBlock (value: unknown): EncodedBlock {
  const bytes = dagCbor.encode(value)
  const link = cidOf(bytes)
  return { cid: cidToString(link), bytes, link }
}

/** The CIDv1 (dag-cbor, sha2-256) of block bytes. */
export function cidOf (bytes: Uint8Array): CID {
  const digest = sha256Hasher.digest(bytes)
  if (digest instanceof Promise) throw new Error('sha2-256 hasher must be synchronous')
  return CID.createV1(dagCbor.code, digest)
}

/**
 * The canonical string of a CID: base32 for v1. Encodes the bytes directly,
 * skipping CID.toString's per-instance cache, which costs more than it saves
 * for CIDs that are printed once.
 */
export function cidToString (cid: CID): string {
  return cid.version === 1 ? base32.encode(cid.bytes) : cid.toString()
}

/** Parses a CID string; a malformed one is a BadCidError. */
export function parseCid (cid: string): CID {
  try {
    return CID.parse(cid)
  } catch (cause) {
    throw new BadCidError(`"${String(cid).slice(0, 80)}" is not a CID`, String(cid), { cause })
  }
}

/**
 * Checks that `bytes` are the block `cid` names and no larger than `maxBytes`.
 * Throws TooLargeError or BadCidError; returns the parsed CID.
 */
export function verifyBlock (cid: string, bytes: Uint8Array, maxBytes: number, what = 'block'): CID {
  if (bytes.length > maxBytes) throw new TooLargeError(`${what} ${cid} is ${bytes.length} bytes; the limit is ${maxBytes}`)
  // Fast path: the CID of these bytes, printed, is exactly the claimed string.
  const actual = cidOf(bytes)
  if (cidToString(actual) === cid) return actual
  const parsed = parseCid(cid)
  if (parsed.version !== 1 || parsed.code !== dagCbor.code || parsed.multihash.code !== sha256Hasher.code) {
    throw new BadCidError(`${what} ${cid} is not a CIDv1 of dag-cbor with sha2-256`, cid)
  }
  if (!equals(actual.multihash.digest, parsed.multihash.digest)) {
    throw new BadCidError(`${what} bytes do not hash to ${cid}`, cid)
  }
  // Same block, but its CID was written in another base: accept it, keyed canonically by the caller.
  return parsed
}

/** Decodes dag-cbor bytes; malformed CBOR is a MalformedRecordError. */
export function decodeBlock (bytes: Uint8Array, what = 'block'): unknown {
  try {
    return dagCbor.decode(bytes)
  } catch (cause) {
    throw new MalformedRecordError(`${what} is not valid dag-cbor`, { cause })
  }
}

/** Decodes a block that must hold a single CBOR byte string (a sealed payload). */
export function decodeSealedBlock (bytes: Uint8Array, what: string): Uint8Array {
  const value = decodeBlock(bytes, what)
  if (!(value instanceof Uint8Array)) throw new MalformedRecordError(`${what} must be a byte string`)
  return value
}

/** The CID a dag-cbor link decoded to, as a string; anything else is malformed. */
export function linkToString (value: unknown, what: string): string {
  const cid = CID.asCID(value)
  if (cid === null) throw new MalformedRecordError(`${what} must be a CID link`)
  return cidToString(cid)
}
