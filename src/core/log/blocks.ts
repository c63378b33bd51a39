/**
 * Blocks: dag-cbor bytes addressed by CIDv1 (dag-cbor codec, sha2-256). Every
 * block read from a peer or from disk goes through `verifyBlock`, which checks
 * size, codec, hash function and digest before anything decodes it.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import { CID } from 'multiformats/cid'
import { from as hasherFrom } from 'multiformats/hashes/hasher'
import { equals } from 'multiformats/bytes'
import { BadCidError, MalformedRecordError, TooLargeError } from '../errors.ts'
import type { RawBlock } from '../storage/interfaces.ts'

/** sha2-256 as a multiformats hasher; synchronous in every runtime. */
export const sha256Hasher = hasherFrom({ name: 'sha2-256', code: 0x12, encode: (bytes: Uint8Array) => sha256(bytes) })

/** A freshly encoded block: its CID both as a string and as a link object. */
export interface EncodedBlock extends RawBlock {
  readonly link: CID
}

/** Encodes a value as a dag-cbor block and computes its CID. */
export function encodeBlock (value: unknown): EncodedBlock {
  const bytes = dagCbor.encode(value)
  const link = cidOf(bytes)
  return { cid: link.toString(), bytes, link }
}

/** The CIDv1 (dag-cbor, sha2-256) of block bytes. */
export function cidOf (bytes: Uint8Array): CID {
  const digest = sha256Hasher.digest(bytes)
  if (digest instanceof Promise) throw new Error('sha2-256 hasher must be synchronous')
  return CID.createV1(dagCbor.code, digest)
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
  const parsed = parseCid(cid)
  if (parsed.version !== 1 || parsed.code !== dagCbor.code || parsed.multihash.code !== sha256Hasher.code) {
    throw new BadCidError(`${what} ${cid} is not a CIDv1 of dag-cbor with sha2-256`, cid)
  }
  if (!equals(cidOf(bytes).multihash.digest, parsed.multihash.digest)) {
    throw new BadCidError(`${what} bytes do not hash to ${cid}`, cid)
  }
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
  return cid.toString()
}
