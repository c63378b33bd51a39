/**
 * The record format, version 1 (docs/PROTOCOL.md describes it byte by byte).
 *
 *   record block  = bstr( seal(followKey, dag-cbor(RecordNode)) )
 *   RecordNode    = { v: 1, log, seq, event: CID, prev: CID | null, deps: [Dependency], sig }
 *   event block   = { v: 1, header: CID, body: CID }
 *   header block  = bstr( seal(readKey, dag-cbor({ v: 1, time, key })) )
 *   body block    = bstr( seal(contentKey, dag-cbor(payload)) )
 *
 * `sig` is the log key's Ed25519 signature over dag-cbor of the node without
 * `sig`: everything a follow-key holder can see, and nothing it cannot.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { MalformedRecordError } from '../errors.ts'
import { BLOCK_CID_LENGTH, cidBytesToString, cidOf, cidToString, isBlockCidBytes, linkToString } from './blocks.ts'

/** The record format version these modules write and read. */
export const RECORD_FORMAT_VERSION = 1

/** Size limits, enforced before decoding anything. */
export const LIMITS = {
  /** Plaintext payload of one event. */
  maxPayloadBytes: 1024 * 1024,
  /** A sealed body block: payload + seal overhead + CBOR framing. */
  maxBodyBlockBytes: 1024 * 1024 + 64,
  maxHeaderBlockBytes: 1024,
  maxEventBlockBytes: 512,
  maxRecordBlockBytes: 16 * 1024,
  maxDependencies: 64,
  maxDependencyKindLength: 32
} as const

/** What a record depends on in another log of the same thread (Radicle's feed dependencies). */
export interface Dependency {
  /** The log ID of the depended-on record. */
  readonly log: string
  /** The record's CID. */
  readonly record: string
  /** Why: "causal", "reply", "quote", … */
  readonly kind: string
}

/** A decrypted record node, with CIDs as strings. */
export interface RecordNode {
  readonly v: number
  readonly log: string
  readonly seq: number
  readonly event: string
  readonly prev: string | null
  readonly deps: readonly Dependency[]
  readonly sig: Uint8Array
}

/** A decrypted event header. */
export interface EventHeader {
  readonly v: number
  /** Wall-clock milliseconds at creation, as the writer saw them. */
  readonly time: number
  /** The single-use content key of the body. */
  readonly key: Uint8Array
}

/** The event block: links to header and body. */
export interface EventLinks {
  readonly header: string
  readonly body: string
}

/** A CID given as a string or as an already parsed link. */
export type CidLike = string | CID

const asLink = (cid: CidLike): CID => typeof cid === 'string' ? CID.parse(cid) : cid

/** The dag-cbor value that is signed: the node without its signature, links as CIDs. */
export function signedPart (node: {
  readonly v: number, readonly log: string, readonly seq: number, readonly event: CidLike,
  readonly prev: CidLike | null, readonly deps: ReadonlyArray<{ readonly log: string, readonly record: CidLike, readonly kind: string }>
}): Record<string, unknown> {
  return {
    v: node.v,
    log: node.log,
    seq: node.seq,
    event: asLink(node.event),
    prev: node.prev === null ? null : asLink(node.prev),
    deps: node.deps.map((d) => ({ log: d.log, record: asLink(d.record), kind: d.kind }))
  }
}

/**
 * Checks the shape of a decoded record node; throws MalformedRecordError naming
 * the field. Also returns the node's signed part exactly as decoded (links
 * already parsed), ready to re-encode for signature verification.
 */
export function parseRecordNode (value: unknown): RecordNode & { readonly signed: Record<string, unknown> } {
  const node = asMap(value, 'record node')
  expectVersion(node.v, 'record node')
  if (typeof node.log !== 'string' || node.log.length === 0 || node.log.length > 128) throw new MalformedRecordError('record node field "log" must be a log ID string')
  if (!Number.isSafeInteger(node.seq) || (node.seq as number) < 1) throw new MalformedRecordError('record node field "seq" must be an integer ≥ 1')
  if (!(node.sig instanceof Uint8Array) || node.sig.length !== 64) throw new MalformedRecordError('record node field "sig" must be 64 bytes')
  if (!Array.isArray(node.deps)) throw new MalformedRecordError('record node field "deps" must be a list')
  if (node.deps.length > LIMITS.maxDependencies) throw new MalformedRecordError(`record node has ${node.deps.length} dependencies; at most ${LIMITS.maxDependencies} are allowed`)
  const deps = node.deps.map((raw, i) => parseDependency(raw, i))
  const extra = Object.keys(node).filter((k) => !['v', 'log', 'seq', 'event', 'prev', 'deps', 'sig'].includes(k))
  if (extra.length > 0) throw new MalformedRecordError(`record node has unknown fields: ${extra.join(', ')}`)
  const { sig: _sig, ...signed } = node
  return {
    signed,
    v: node.v as number,
    log: node.log,
    seq: node.seq as number,
    event: linkToString(node.event, 'record node field "event"'),
    prev: node.prev === null ? null : linkToString(node.prev, 'record node field "prev"'),
    deps,
    sig: node.sig
  }
}

function parseDependency (value: unknown, index: number): Dependency {
  const dep = asMap(value, `dependency ${index}`)
  if (typeof dep.log !== 'string' || dep.log.length === 0 || dep.log.length > 128) throw new MalformedRecordError(`dependency ${index} field "log" must be a log ID string`)
  if (typeof dep.kind !== 'string' || dep.kind.length === 0 || dep.kind.length > LIMITS.maxDependencyKindLength) {
    throw new MalformedRecordError(`dependency ${index} field "kind" must be 1 to ${LIMITS.maxDependencyKindLength} characters`)
  }
  return { log: dep.log, record: linkToString(dep.record, `dependency ${index} field "record"`), kind: dep.kind }
}

/** Checks the shape of a decoded event block. */
export function parseEventLinks (value: unknown): EventLinks {
  const event = asMap(value, 'event')
  expectVersion(event.v, 'event')
  return { header: linkToString(event.header, 'event field "header"'), body: linkToString(event.body, 'event field "body"') }
}

/** Checks the shape of a decrypted header. */
export function parseEventHeader (value: unknown): EventHeader {
  const header = asMap(value, 'header')
  expectVersion(header.v, 'header')
  if (!Number.isSafeInteger(header.time) || (header.time as number) < 0) throw new MalformedRecordError('header field "time" must be a non-negative integer')
  if (!(header.key instanceof Uint8Array) || header.key.length !== 32) throw new MalformedRecordError('header field "key" must be a 32-byte key')
  return { v: header.v as number, time: header.time as number, key: header.key }
}

function asMap (value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || CID.asCID(value) !== null) {
    throw new MalformedRecordError(`${what} must be a map`)
  }
  return value as Record<string, unknown>
}

function expectVersion (v: unknown, what: string): void {
  if (v !== RECORD_FORMAT_VERSION) throw new MalformedRecordError(`${what} has format version ${String(v)}; this reader knows version ${RECORD_FORMAT_VERSION}`)
}

// ---- Fixed-shape encodings -----------------------------------------------------
//
// The format's own small structures have fixed shapes, so their dag-cbor bytes
// can be written and read from a template instead of through the generic codec,
// which builds tokens, sorts keys and makes CID objects on every call. Each
// template is checked once, at load, against @ipld/dag-cbor on values of every
// length class; if a check fails the generic codec is always used. A value that
// does not fit a template (dependencies, a CID other than CIDv1 dag-cbor
// sha2-256, a non-ASCII log ID) also goes through the generic codec, and a
// reader takes the template path only for bytes the generic decoder reads to
// the same value. The bytes are the same either way.

const ascii = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0))
// Keys and link prefixes, as dag-cbor writes them: text head + key; tag 42, byte string head, 0x00.
const KEY_V = ascii('\x61v')
const KEY_LOG = ascii('\x63log')
const KEY_SEQ = ascii('\x63seq')
const KEY_SIG = [...ascii('\x63sig'), 0x58, 0x40]
const KEY_DEPS_EMPTY = [...ascii('\x64deps'), 0x80]
const KEY_PREV = ascii('\x64prev')
const KEY_EVENT = ascii('\x65event')
const LINK = [0xd8, 0x2a, 0x58, 0x25, 0x00]
const NULL = 0xf6
/** The event block up to its body CID, and between its body and header CIDs. */
const EVENT_HEAD = [0xa3, ...KEY_V, 0x01, ...ascii('\x64body'), ...LINK]
const EVENT_MIDDLE = [...ascii('\x66header'), ...LINK]
const EVENT_LENGTH = EVENT_HEAD.length + BLOCK_CID_LENGTH + EVENT_MIDDLE.length + BLOCK_CID_LENGTH
/** The header plaintext up to its key, and between key and time. */
const HEADER_HEAD = [0xa3, ...KEY_V, 0x01, ...ascii('\x63key'), 0x58, 0x20]
const HEADER_MIDDLE = ascii('\x64time')
const HEADER_KEY_AT = HEADER_HEAD.length
const HEADER_TIME_AT = HEADER_KEY_AT + 32 + HEADER_MIDDLE.length

const headLength = (n: number): number => n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9

/** Writes a CBOR head (major type, then `n` in its shortest form) at `at`; returns the next offset. */
function writeHead (out: Uint8Array, at: number, major: number, n: number): number {
  const m = major << 5
  if (n < 24) {
    out[at] = m | n
    return at + 1
  }
  const length = headLength(n) - 1
  out[at] = m | (length === 1 ? 24 : length === 2 ? 25 : length === 4 ? 26 : 27)
  if (length === 8) {
    writeBigEndian(out, at + 1, Math.floor(n / 0x100000000), 4)
    writeBigEndian(out, at + 5, n >>> 0, 4)
  } else {
    writeBigEndian(out, at + 1, n, length)
  }
  return at + 1 + length
}

function writeBigEndian (out: Uint8Array, at: number, n: number, length: number): void {
  for (let i = length - 1; i >= 0; i--) {
    out[at + i] = n & 0xff
    n = Math.floor(n / 256)
  }
}

/** Reads an unsigned integer (major type 0) in its shortest form at `at`: [value, next offset], else undefined. */
function readUint (bytes: Uint8Array, at: number): [number, number] | undefined {
  if (at >= bytes.length) return undefined
  const info = bytes[at]!
  if (info >> 5 !== 0) return undefined
  const length = info < 24 ? 0 : info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : -1
  if (length < 0 || at + 1 + length > bytes.length) return undefined
  if (length === 0) return [info, at + 1]
  let n = 0
  for (let i = 1; i <= length; i++) n = n * 256 + bytes[at + i]!
  // Shortest form only, and only safe integers (the generic decoder gives a BigInt beyond them).
  if (n < (length === 1 ? 24 : 2 ** (4 * length)) || n > Number.MAX_SAFE_INTEGER) return undefined
  return [n, at + 1 + length]
}

/** Whether `bytes` hold `expected` at `at`. */
function matches (bytes: Uint8Array, at: number, expected: readonly number[]): boolean {
  if (at + expected.length > bytes.length) return false
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false
  return true
}

function put (out: Uint8Array, at: number, bytes: readonly number[] | Uint8Array): number {
  out.set(bytes, at)
  return at + bytes.length
}

/** Whether every character of `text` is ASCII (so its UTF-8 bytes are its char codes). */
function isAscii (text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false
  return true
}

/**
 * dag-cbor of a record node with no dependencies: the signed part, or with
 * `sig` the whole node. `event` and `prev` are binary CIDs. Undefined when
 * the node does not fit the template.
 */
export function encodeNodeBytes (node: { readonly v: number, readonly log: string, readonly seq: number, readonly event: Uint8Array, readonly prev: Uint8Array | null }, sig?: Uint8Array): Uint8Array | undefined {
  if (!templatesHold || !Number.isSafeInteger(node.v) || node.v < 0 || !Number.isSafeInteger(node.seq) || node.seq < 0 ||
    !isAscii(node.log) || !isBlockCidBytes(node.event) || (node.prev !== null && !isBlockCidBytes(node.prev)) ||
    (sig !== undefined && sig.length !== 64)) return undefined
  const log = node.log
  const length = 1 + KEY_V.length + headLength(node.v) + KEY_LOG.length + headLength(log.length) + log.length +
    KEY_SEQ.length + headLength(node.seq) + (sig === undefined ? 0 : KEY_SIG.length + 64) + KEY_DEPS_EMPTY.length +
    KEY_PREV.length + (node.prev === null ? 1 : LINK.length + BLOCK_CID_LENGTH) + KEY_EVENT.length + LINK.length + BLOCK_CID_LENGTH
  const out = new Uint8Array(length)
  out[0] = sig === undefined ? 0xa6 : 0xa7
  let at = writeHead(out, put(out, 1, KEY_V), 0, node.v)
  at = writeHead(out, put(out, at, KEY_LOG), 3, log.length)
  for (let i = 0; i < log.length; i++) out[at++] = log.charCodeAt(i)
  at = writeHead(out, put(out, at, KEY_SEQ), 0, node.seq)
  if (sig !== undefined) at = put(out, put(out, at, KEY_SIG), sig)
  at = put(out, put(out, at, KEY_DEPS_EMPTY), KEY_PREV)
  if (node.prev === null) out[at++] = NULL
  else at = put(out, put(out, at, LINK), node.prev)
  put(out, put(out, put(out, at, KEY_EVENT), LINK), node.event)
  return out
}

/**
 * dag-cbor of a node's signed part given as a map with CID links (as decoded,
 * or from `signedPart`): exactly `dagCbor.encode(signed)`, through the
 * template when the map has just the six fields and no dependencies.
 */
export function encodeSignedMap (signed: Record<string, unknown>): Uint8Array {
  const { v, log, seq, deps } = signed
  if (Array.isArray(deps) && deps.length === 0 && typeof v === 'number' && typeof log === 'string' && typeof seq === 'number' &&
    Object.keys(signed).length === 6) {
    const event = CID.asCID(signed.event)
    const prev = signed.prev === null ? null : CID.asCID(signed.prev)
    if (event !== null && (prev !== null || signed.prev === null)) {
      const bytes = encodeNodeBytes({ v, log, seq, event: event.bytes, prev: prev === null ? null : prev.bytes })
      if (bytes !== undefined) return bytes
    }
  }
  return dagCbor.encode(signed)
}

/**
 * A record node plaintext written as the template writes it (v = 1, an ASCII
 * log ID of 1 to 128 characters, seq ≥ 1, no dependencies, links that are
 * CIDv1 dag-cbor sha2-256), read without the generic decoder: the node, and
 * its signed bytes. Such bytes are the canonical encoding of their values, so
 * the signed bytes are the plaintext without its `sig` entry. Anything else
 * gives undefined (and goes through the generic decoder and parseRecordNode).
 */
export function readNodeBytes (bytes: Uint8Array): { readonly node: RecordNode, readonly signed: Uint8Array } | undefined {
  if (!templatesHold || bytes[0] !== 0xa7 || !matches(bytes, 1, KEY_V) || bytes[1 + KEY_V.length] !== RECORD_FORMAT_VERSION) return undefined
  let at = 2 + KEY_V.length
  if (!matches(bytes, at, KEY_LOG)) return undefined
  at += KEY_LOG.length
  const head = bytes[at]!
  const logLength = head >= 0x61 && head < 0x78 ? head - 0x60 : head === 0x78 && bytes[at + 1]! >= 24 ? bytes[at + 1]! : 0
  if (logLength === 0 || logLength > 128) return undefined
  at += head === 0x78 ? 2 : 1
  if (at + logLength > bytes.length) return undefined
  for (let i = at; i < at + logLength; i++) if (bytes[i]! > 0x7f) return undefined
  const log = String.fromCharCode.apply(null, bytes.subarray(at, at + logLength) as unknown as number[])
  at += logLength
  if (!matches(bytes, at, KEY_SEQ)) return undefined
  const seq = readUint(bytes, at + KEY_SEQ.length)
  if (seq === undefined || seq[0] < 1) return undefined
  const sigAt = seq[1]
  if (!matches(bytes, sigAt, KEY_SIG)) return undefined
  at = sigAt + KEY_SIG.length + 64
  if (!matches(bytes, at, KEY_DEPS_EMPTY) || !matches(bytes, at + KEY_DEPS_EMPTY.length, KEY_PREV)) return undefined
  at += KEY_DEPS_EMPTY.length + KEY_PREV.length
  let prev: string | null = null
  if (bytes[at] === NULL) {
    at += 1
  } else {
    if (!matches(bytes, at, LINK) || !isBlockCidBytes(bytes.subarray(at + LINK.length, at + LINK.length + BLOCK_CID_LENGTH))) return undefined
    prev = cidBytesToString(bytes.subarray(at + LINK.length, at + LINK.length + BLOCK_CID_LENGTH))
    at += LINK.length + BLOCK_CID_LENGTH
  }
  if (!matches(bytes, at, KEY_EVENT) || !matches(bytes, at + KEY_EVENT.length, LINK)) return undefined
  at += KEY_EVENT.length + LINK.length
  const event = bytes.subarray(at, at + BLOCK_CID_LENGTH)
  if (at + BLOCK_CID_LENGTH !== bytes.length || !isBlockCidBytes(event)) return undefined
  const sigLength = KEY_SIG.length + 64
  const signed = new Uint8Array(bytes.length - sigLength)
  signed[0] = 0xa6
  signed.set(bytes.subarray(1, sigAt), 1)
  signed.set(bytes.subarray(sigAt + sigLength), sigAt)
  const sig = bytes.slice(sigAt + KEY_SIG.length, sigAt + sigLength)
  return { node: { v: RECORD_FORMAT_VERSION, log, seq: seq[0], event: cidBytesToString(event), prev, deps: [], sig }, signed }
}

/** The event block for binary header and body CIDs, or undefined when they do not fit the template. */
export function encodeEventBytes (header: Uint8Array, body: Uint8Array): Uint8Array | undefined {
  if (!templatesHold || !isBlockCidBytes(header) || !isBlockCidBytes(body)) return undefined
  const out = new Uint8Array(EVENT_LENGTH)
  put(out, put(out, put(out, put(out, 0, EVENT_HEAD), body), EVENT_MIDDLE), header)
  return out
}

/** The binary header and body CIDs of an event block written as the template writes it, else undefined. */
export function readEventBytes (bytes: Uint8Array): { readonly header: Uint8Array, readonly body: Uint8Array } | undefined {
  if (!templatesHold || bytes.length !== EVENT_LENGTH) return undefined
  const middle = EVENT_HEAD.length + BLOCK_CID_LENGTH
  if (!matches(bytes, 0, EVENT_HEAD) || !matches(bytes, middle, EVENT_MIDDLE)) return undefined
  const body = bytes.subarray(EVENT_HEAD.length, middle)
  const header = bytes.subarray(middle + EVENT_MIDDLE.length)
  return isBlockCidBytes(body) && isBlockCidBytes(header) ? { header, body } : undefined
}

/** The header plaintext `{ v: 1, time, key }`, through the template when it fits. */
export function encodeHeaderBytes (time: number, key: Uint8Array): Uint8Array {
  if (!templatesHold || !Number.isSafeInteger(time) || time < 0 || key.length !== 32) return dagCbor.encode({ v: RECORD_FORMAT_VERSION, time, key })
  const out = new Uint8Array(HEADER_TIME_AT + headLength(time))
  writeHead(out, put(out, put(out, put(out, 0, HEADER_HEAD), key), HEADER_MIDDLE), 0, time)
  return out
}

/** A header plaintext written as the template writes it, read without the generic decoder (the key is copied); else undefined. */
export function readHeaderBytes (bytes: Uint8Array): EventHeader | undefined {
  if (!templatesHold || bytes.length < HEADER_TIME_AT + 1) return undefined
  if (!matches(bytes, 0, HEADER_HEAD) || !matches(bytes, HEADER_KEY_AT + 32, HEADER_MIDDLE)) return undefined
  const time = readUint(bytes, HEADER_TIME_AT)
  if (time === undefined || time[1] !== bytes.length) return undefined
  return { v: RECORD_FORMAT_VERSION, time: time[0], key: bytes.slice(HEADER_KEY_AT, HEADER_KEY_AT + 32) }
}

/** Checks every template against @ipld/dag-cbor, once. */
function checkTemplates (): boolean {
  const same = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && a.length === b.length && a.every((x, i) => x === b[i])
  const cidA = cidOf(new Uint8Array([1]))
  const cidB = cidOf(new Uint8Array([2]))
  const numbers = [0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 1700000000000, Number.MAX_SAFE_INTEGER]
  const sig = new Uint8Array(64).fill(7)
  const key = new Uint8Array(32).fill(9)
  const eventBytes = dagCbor.encode({ v: RECORD_FORMAT_VERSION, header: cidA, body: cidB })
  const links = readEventBytes(eventBytes)
  if (!same(encodeEventBytes(cidA.bytes, cidB.bytes), eventBytes) || links === undefined || !same(links.header, cidA.bytes) || !same(links.body, cidB.bytes)) return false
  const logs = ['1', 'x'.repeat(23), 'x'.repeat(24), '12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB', 'y'.repeat(128), 'z'.repeat(300)]
  const nodes = [...numbers.map((seq) => ({ v: 1, log: logs[3]!, seq })), ...logs.map((log) => ({ v: 1, log, seq: 2 })), { v: 300, log: 'l', seq: 5 }]
  for (const node of nodes) {
    for (const prev of [null, cidA]) {
      const signed = { ...node, event: cidB, prev, deps: [] }
      if (!same(encodeNodeBytes({ ...node, event: cidB.bytes, prev: prev?.bytes ?? null }), dagCbor.encode(signed))) return false
      const whole = dagCbor.encode({ ...signed, sig })
      if (!same(encodeNodeBytes({ ...node, event: cidB.bytes, prev: prev?.bytes ?? null }, sig), whole)) return false
      const read = readNodeBytes(whole)
      const fits = node.v === RECORD_FORMAT_VERSION && node.seq >= 1 && node.log.length <= 128
      if (fits !== (read !== undefined)) return false
      if (read !== undefined && (!same(read.signed, dagCbor.encode(signed)) || !same(read.node.sig, sig) || read.node.log !== node.log ||
        read.node.seq !== node.seq || read.node.event !== cidToString(cidB) || read.node.prev !== (prev === null ? null : cidToString(prev)))) return false
    }
  }
  for (const time of numbers) {
    const header = dagCbor.encode({ v: RECORD_FORMAT_VERSION, time, key })
    const read = readHeaderBytes(header)
    if (!same(encodeHeaderBytes(time, key), header) || read?.time !== time || !same(read.key, key)) return false
  }
  return true
}

let templatesHold = true
templatesHold = checkTemplates()
