/**
 * Blocks: dag-cbor bytes addressed by CIDv1 (dag-cbor codec, sha2-256). Every
 * block read from a peer or from disk goes through `verifyBlock` (or
 * `checkBlock`), which checks size, codec, hash function and digest before
 * anything decodes it.
 *
 * The record paths run this for every block of every record, so it avoids
 * work it can: CID objects are built only when asked for, sealed blocks are
 * framed and sealed in one buffer, and
 * decryption for decoding goes to a reused buffer.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { BLOCK_DECODE_LIMITS, decodeBoundedDagCbor } from '../bounded-cbor.ts'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { base32 } from 'multiformats/bases/base32'
import { equals } from 'multiformats/bytes'
import { CID } from 'multiformats/cid'
import { Digest } from 'multiformats/hashes/digest'
import { from as hasherFrom } from 'multiformats/hashes/hasher'
import { openInto, SEAL_OVERHEAD, sealInto } from '../crypto/aead.ts'
import type { RandomSource } from '../crypto/random.ts'
import { BadCidError, MalformedRecordError, TooComplexError, TooLargeError, UnsupportedVersionError } from '../errors.ts'
import type { RawBlock } from '../storage/interfaces.ts'

/**
 * sha2-256 as a synchronous multiformats hasher: the audited @noble/hashes one,
 * in pure JavaScript, everywhere (a Node program writing records may pass a
 * native one for the blocks it writes: see Sha256). multiformats' own is
 * asynchronous in browsers (WebCrypto), and in Node it is OpenSSL through
 * createHash, whose per-call setup takes OpenSSL locks that the thread pool's
 * concurrent Ed25519 sign and verify jobs also take: hashing blocks on the
 * main thread that way stalls the signatures running beside it.
 */
export const sha256Hasher = hasherFrom({ name: 'sha2-256', code: 0x12, encode: (bytes: Uint8Array) => nobleSha256(bytes) })

/**
 * A synchronous sha2-256, as the blocks this peer writes are hashed: @noble/hashes
 * by default; a host may pass a native one with the same output (in Node,
 * `nodeSha256` of src/adapters/node, where signing too runs on the main thread).
 */
export type Sha256 = (bytes: Uint8Array) => Uint8Array

// ---- CIDs --------------------------------------------------------------------

/** Bytes of a CIDv1 of dag-cbor with a sha2-256 multihash, before the digest. */
const CID_PREFIX = [0x01, dagCbor.code, 0x12, 32] as const
/** Length of such a CID in binary. */
const BLOCK_CID_LENGTH = CID_PREFIX.length + 32

/** sha2-256 of `bytes`, synchronously. */
function sha256 (bytes: Uint8Array): Uint8Array {
  const digest = sha256Hasher.encode(bytes)
  if (digest instanceof Promise) throw new Error('sha2-256 hasher must be synchronous')
  return digest
}

/** The binary CID of block bytes (prefix, then digest, by `hash`), as a small array. */
export function cidBytesOf (bytes: Uint8Array, hash: Sha256 = sha256): Uint8Array {
  const out = new Uint8Array(BLOCK_CID_LENGTH)
  out[0] = CID_PREFIX[0]
  out[1] = CID_PREFIX[1]
  out[2] = CID_PREFIX[2]
  out[3] = CID_PREFIX[3]
  out.set(hash(bytes), CID_PREFIX.length)
  return out
}

/** Whether `bytes` are a binary CIDv1 of dag-cbor with a 32-byte sha2-256 digest. */
export function isBlockCidBytes (bytes: Uint8Array): boolean {
  return bytes.length === BLOCK_CID_LENGTH && bytes[0] === CID_PREFIX[0] && bytes[1] === CID_PREFIX[1] &&
    bytes[2] === CID_PREFIX[2] && bytes[3] === CID_PREFIX[3]
}

/**
 * A CID object for binary CID bytes that `isBlockCidBytes` accepts. The CID,
 * its multihash and digest are three views of one ArrayBuffer-backed copy:
 * built this way multiformats takes them as they are, where CID.createV1
 * would allocate and copy the multihash and CID bytes again.
 */
function cidFromBlockCidBytes (bytes: Uint8Array): CID {
  const cid = new Uint8Array(new ArrayBuffer(BLOCK_CID_LENGTH))
  cid.set(bytes)
  return new CID(1, dagCbor.code, new Digest(sha256Hasher.code, 32, cid.subarray(CID_PREFIX.length), cid.subarray(2)), cid)
}

/** The CIDv1 (dag-cbor, sha2-256) of block bytes, hashed by `hash` where given. */
export function cidOf (bytes: Uint8Array, hash?: Sha256): CID {
  return cidFromBlockCidBytes(cidBytesOf(bytes, hash))
}

/**
 * The canonical string of a CID: base32 for v1, as multiformats prints it,
 * without CID.toString's per-instance cache (most CIDs here are printed once).
 */
export function cidToString (cid: CID): string {
  return cid.version === 1 ? base32.encode(cid.bytes) : cid.toString()
}

/** The canonical string of a binary CIDv1. */
export function cidBytesToString (bytes: Uint8Array): string {
  return base32.encode(bytes)
}

/**
 * A canonical CID text: "b" and 58 lower-case base32 digits. multiformats'
 * base32 decoder takes either case (the multibase spec), so the case is checked here.
 */
const CANONICAL_CID_TEXT = /^b[a-z2-7]{58}$/

/**
 * The binary CID that `text` names when it is a CIDv1 of dag-cbor with a
 * sha2-256 digest written in its canonical base32 form; undefined otherwise.
 * Nothing is printed: in lower case, with no padding and with its padding
 * bits zero (the decoder refuses others), the one text that decodes to these
 * bytes is the one that prints them, and printing a CID costs many times
 * what decoding it does (every block received is checked so).
 */
export function canonicalCidBytes (text: string): Uint8Array | undefined {
  if (!CANONICAL_CID_TEXT.test(text)) return undefined
  let bytes: Uint8Array
  try {
    bytes = base32.baseDecode(text.slice(1))
  } catch {
    return undefined
  }
  return isBlockCidBytes(bytes) ? bytes : undefined
}

/** Whether `text` is the canonical text of the binary CID `bytes`. */
export function namesCid (text: string, bytes: Uint8Array): boolean {
  const named = canonicalCidBytes(text)
  return named !== undefined && equals(named, bytes)
}

/** Parses a CID string; a malformed one is a BadCidError. */
export function parseCid (cid: string): CID {
  try {
    return CID.parse(cid)
  } catch (cause) {
    throw new BadCidError(`"${String(cid).slice(0, 80)}" is not a CID`, String(cid), { cause })
  }
}

// ---- Encoded blocks ----------------------------------------------------------

/** A freshly encoded block: its CID both as a string and as a link object. */
export interface EncodedBlock extends RawBlock {
  readonly link: CID
}

/** An encoded block whose CID object is built on first use (most are only ever printed). */
class Block implements EncodedBlock {
  readonly cid: string
  readonly bytes: Uint8Array
  /** The binary CID. */
  readonly cidBytes: Uint8Array
  #link: CID | undefined

  constructor (bytes: Uint8Array, hash?: Sha256) {
    this.bytes = bytes
    this.cidBytes = cidBytesOf(bytes, hash)
    this.cid = cidBytesToString(this.cidBytes)
  }

  get link (): CID {
    this.#link ??= cidFromBlockCidBytes(this.cidBytes)
    return this.#link
  }
}

/** Encodes a value as a dag-cbor block and computes its CID (hashed by `hash` where given). */
export function encodeBlock (value: unknown, hash?: Sha256): EncodedBlock {
  return new Block(dagCbor.encode(value), hash)
}

/** Length of the dag-cbor head of a byte string of `length` bytes (shortest form). */
function byteStringHeadLength (length: number): number {
  return length < 24 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : length <= 0xffffffff ? 5 : 9
}

/** Writes the shortest dag-cbor head of a byte string of `length` bytes at `offset`; returns where its content starts. */
function writeByteStringHead (bytes: Uint8Array, offset: number, length: number): number {
  const head = byteStringHeadLength(length)
  if (head === 1) {
    bytes[offset] = 0x40 | length
  } else if (head === 2) {
    bytes[offset] = 0x58
    bytes[offset + 1] = length
  } else if (head === 3) {
    bytes[offset] = 0x59
    bytes[offset + 1] = length >>> 8
    bytes[offset + 2] = length & 0xff
  } else {
    bytes[offset] = 0x5a
    bytes[offset + 1] = length >>> 24
    bytes[offset + 2] = (length >>> 16) & 0xff
    bytes[offset + 3] = (length >>> 8) & 0xff
    bytes[offset + 4] = length & 0xff
  }
  return offset + head
}

function checkSealedLength (length: number): void {
  if (byteStringHeadLength(length) > 5) throw new TooLargeError(`a sealed block of ${length} bytes is too large`)
}

/**
 * The block `bstr(seal(key, plaintext))`, with its CID: the same bytes as
 * `encodeBlock(seal(key, plaintext, random))`, but sealed straight into the
 * block's buffer, so the ciphertext is written once and never copied.
 */
export function encodeSealedBlock (key: Uint8Array, plaintext: Uint8Array, random?: RandomSource, hash?: Sha256): EncodedBlock {
  const length = plaintext.length + SEAL_OVERHEAD
  checkSealedLength(length)
  const bytes = new Uint8Array(byteStringHeadLength(length) + length)
  sealInto(key, plaintext, bytes.subarray(writeByteStringHead(bytes, 0, length)), random)
  return new Block(bytes, hash)
}

// ---- Record envelopes ----------------------------------------------------------

/** Length of an epoch key ID in a record envelope. */
const ENVELOPE_KEY_ID_LENGTH = 16
/** The canonical dag-cbor of `{ k: <16 bytes>, s: <bstr> }` up to the key ID: map(2), "k", bytes(16). */
const ENVELOPE_HEAD = [0xa2, 0x61, 0x6b, 0x40 | ENVELOPE_KEY_ID_LENGTH] as const
/** After the key ID: the key "s". */
const ENVELOPE_S_KEY = [0x61, 0x73] as const
const ENVELOPE_SEALED_OFFSET = ENVELOPE_HEAD.length + ENVELOPE_KEY_ID_LENGTH + ENVELOPE_S_KEY.length

/** A record envelope's frame: `{ k: keyId, s: bstr(sealedLength) }` with the sealed bytes left to fill at `offset`. */
function envelopeFrame (keyId: Uint8Array, sealedLength: number): { bytes: Uint8Array, offset: number } {
  if (keyId.length !== ENVELOPE_KEY_ID_LENGTH) throw new MalformedRecordError(`a record's key ID is ${ENVELOPE_KEY_ID_LENGTH} bytes, not ${keyId.length}`)
  checkSealedLength(sealedLength)
  const bytes = new Uint8Array(ENVELOPE_SEALED_OFFSET + byteStringHeadLength(sealedLength) + sealedLength)
  bytes.set(ENVELOPE_HEAD)
  bytes.set(keyId, ENVELOPE_HEAD.length)
  bytes.set(ENVELOPE_S_KEY, ENVELOPE_HEAD.length + ENVELOPE_KEY_ID_LENGTH)
  return { bytes, offset: writeByteStringHead(bytes, ENVELOPE_SEALED_OFFSET, sealedLength) }
}

/**
 * The record block `{ k: keyId, s: bstr(seal(followKey, plaintext)) }` in
 * canonical dag-cbor, sealed straight into the block's buffer (the frame is
 * written by hand; test/core/cbor-frames.test.ts holds it to @ipld/dag-cbor).
 */
export function encodeRecordEnvelope (keyId: Uint8Array, followKey: Uint8Array, plaintext: Uint8Array, random?: RandomSource): Uint8Array {
  const { bytes, offset } = envelopeFrame(keyId, plaintext.length + SEAL_OVERHEAD)
  sealInto(followKey, plaintext, bytes.subarray(offset), random)
  return bytes
}

/**
 * The key ID and sealed node of a record block, as views into `bytes` (no
 * copy). Accepts exactly what a strict dag-cbor decoder accepts as the map
 * `{ k: bytes(16), s: bytes }` with no other field; anything else is a
 * MalformedRecordError saying what is wrong.
 */
export function recordEnvelopeParts (bytes: Uint8Array, what: string): { keyId: Uint8Array, sealed: Uint8Array } {
  const framed = bytes.length >= ENVELOPE_SEALED_OFFSET &&
    ENVELOPE_HEAD.every((b, i) => bytes[i] === b) &&
    ENVELOPE_S_KEY.every((b, i) => bytes[ENVELOPE_HEAD.length + ENVELOPE_KEY_ID_LENGTH + i] === b)
  if (!framed) {
    // Not the one canonical frame: let the dag-cbor decoder say whether it is malformed, non-canonical or another shape.
    const value = decodeBlock(bytes, what)
    if (value instanceof Uint8Array) throw new UnsupportedVersionError(`${what} is a bare sealed byte string, as in record formats 1 and 2; this reader knows format 3 only`)
    const again = dagCbor.encode(value)
    if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) throw new MalformedRecordError(`${what} is not in canonical dag-cbor form`)
    throw new MalformedRecordError(`${what} must be the map { k: ${ENVELOPE_KEY_ID_LENGTH}-byte key ID, s: sealed node } and nothing else`)
  }
  return {
    keyId: bytes.subarray(ENVELOPE_HEAD.length, ENVELOPE_HEAD.length + ENVELOPE_KEY_ID_LENGTH),
    sealed: byteStringAt(bytes, ENVELOPE_SEALED_OFFSET, `${what} field "s"`)
  }
}

// ---- Checking received blocks ------------------------------------------------

/**
 * Checks that `bytes` are the block `cid` names and no larger than `maxBytes`.
 * The CID must be given in its one canonical form (base32 CIDv1, dag-cbor,
 * sha2-256, as multiformats prints it): the same CID spelled in another base
 * is refused, so nothing is ever stored or compared under a second name.
 * Throws TooLargeError or BadCidError; returns the binary CID of the bytes.
 */
export function checkBlock (cid: string, bytes: Uint8Array, maxBytes: number, what = 'block'): Uint8Array {
  if (bytes.length > maxBytes) throw new TooLargeError(`${what} ${cid.slice(0, 80)} is ${bytes.length} bytes; the limit is ${maxBytes}`)
  const actual = cidBytesOf(bytes)
  if (namesCid(cid, actual)) return actual
  throw new BadCidError(isCanonicalCid(cid)
    ? `${what} bytes do not hash to ${cid}`
    : `${what} CID "${cid.slice(0, 80)}" is not a canonical base32 CIDv1 of dag-cbor with sha2-256`, cid)
}

/** Whether `cid` is a CIDv1 of dag-cbor with a sha2-256 digest, written in its canonical base32 form. */
export function isCanonicalCid (cid: string): boolean {
  return canonicalCidBytes(cid) !== undefined
}

// ---- Decoding ------------------------------------------------------------------

/** Decodes dag-cbor bytes within BLOCK_DECODE_LIMITS; malformed CBOR is a MalformedRecordError, too many items a TooComplexError. */
export function decodeBlock (bytes: Uint8Array, what = 'block'): unknown {
  try {
    return decodeBoundedDagCbor(bytes, BLOCK_DECODE_LIMITS, what)
  } catch (cause) {
    if (cause instanceof TooComplexError) throw cause
    throw new MalformedRecordError(`${what} is not valid dag-cbor`, { cause })
  }
}

const SCRATCH_LIMIT = 64 * 1024
let scratch = new ArrayBuffer(4096)

/**
 * Decrypts a sealed payload and hands the plaintext to `read`, which must not
 * keep it or anything that points into it: plaintexts up to 64 KiB go to one
 * reused buffer (a fresh buffer per layer of every record is an allocation
 * the record paths do not need). Everything here is synchronous, so the
 * buffer is never shared between two calls.
 */
export function openAndRead<T> (key: Uint8Array, sealed: Uint8Array, what: string, read: (plaintext: Uint8Array) => T): T {
  const length = sealed.length - SEAL_OVERHEAD
  let out: Uint8Array | undefined
  if (length >= 0 && length <= SCRATCH_LIMIT) {
    if (scratch.byteLength < length) scratch = new ArrayBuffer(Math.min(SCRATCH_LIMIT, 2 ** Math.ceil(Math.log2(length))))
    out = new Uint8Array(scratch, 0, length)
  }
  return read(openInto(key, sealed, out, what))
}

/**
 * Decrypts a sealed payload and decodes the plaintext as dag-cbor. The
 * plaintext may sit in the reused buffer: dag-cbor decoding copies byte
 * strings out of its input (test/core/cbor-frames.test.ts holds it to that).
 */
export function openAndDecode (key: Uint8Array, sealed: Uint8Array, what: string, decoded: string): unknown {
  return openAndRead(key, sealed, what, (plaintext) => decodeBlock(plaintext, decoded))
}

/**
 * The sealed payload of a block that must hold a single CBOR byte string, as a
 * view into `bytes` (no copy). Accepts exactly what a strict dag-cbor decoder
 * accepts for such a block: major type 2, definite length in its shortest
 * form, and nothing after it.
 */
export function sealedBytesOf (bytes: Uint8Array, what: string): Uint8Array {
  const head = bytes.length > 0 ? bytes[0]! : 0
  if (head >> 5 !== 2) {
    // Not a byte string: let the dag-cbor decoder say whether it is malformed or just another type.
    decodeBlock(bytes, what)
    throw new MalformedRecordError(`${what} must be a byte string`)
  }
  return byteStringAt(bytes, 0, what)
}

/**
 * The content of the byte string whose head is at `start` and which must end
 * `bytes`, as a view; the head must be a definite length in its shortest form.
 */
function byteStringAt (bytes: Uint8Array, start: number, what: string): Uint8Array {
  const head = start < bytes.length ? bytes[start]! : 0
  if (head >> 5 !== 2) throw new MalformedRecordError(`${what} must be a byte string`)
  const info = head & 31
  const at = (i: number): number => bytes[start + i]!
  const room = bytes.length - start
  let length: number
  let offset: number
  if (info < 24) {
    length = info
    offset = 1
  } else if (info === 24 && room >= 2) {
    length = at(1)
    offset = 2
    if (length < 24) throw new MalformedRecordError(`${what} is not valid dag-cbor: byte string length is not in its shortest form`)
  } else if (info === 25 && room >= 3) {
    length = (at(1) << 8) | at(2)
    offset = 3
    if (length < 256) throw new MalformedRecordError(`${what} is not valid dag-cbor: byte string length is not in its shortest form`)
  } else if (info === 26 && room >= 5) {
    length = ((at(1) << 24) | (at(2) << 16) | (at(3) << 8) | at(4)) >>> 0
    offset = 5
    if (length < 65536) throw new MalformedRecordError(`${what} is not valid dag-cbor: byte string length is not in its shortest form`)
  } else {
    // 8-byte lengths (over 4 GiB, beyond every block limit), indefinite lengths, reserved values, truncation.
    throw new MalformedRecordError(`${what} is not valid dag-cbor: unsupported or truncated byte string head`)
  }
  if (offset + length !== room) {
    throw new MalformedRecordError(`${what} is not valid dag-cbor: a ${length}-byte string in ${room} bytes`)
  }
  return bytes.subarray(start + offset)
}
