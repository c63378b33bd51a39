/**
 * The record format's own small structures (docs/PROTOCOL.md) have fixed
 * shapes, so their dag-cbor bytes can be written and read from templates
 * instead of through the generic codec, which builds tokens, sorts keys and
 * makes CID objects on every call: the event block, the header plaintext, and
 * a record node without dependencies (its signed part, and the whole node).
 *
 * Guarantees: every template is checked once, at load, against @ipld/dag-cbor
 * on values of every length class; if any check fails the generic codec is
 * always used. A value that does not fit a template (dependencies, a CID other
 * than CIDv1 dag-cbor sha2-256, a non-ASCII log ID) goes through the generic
 * codec too, and a reader takes the template path only for bytes the generic
 * decoder reads to the same value and the format's parsers accept. The bytes
 * are the same either way.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { BLOCK_CID_LENGTH, cidBytesToString, cidOf, cidToString, isBlockCidBytes } from './blocks.ts'
import { RECORD_FORMAT_VERSION, type EventHeader, type RecordNode } from './record-format.ts'

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
 * its signed bytes and the event's binary CID (copied). Such bytes are the canonical encoding of their values, so
 * the signed bytes are the plaintext without its `sig` entry. Anything else
 * gives undefined (and goes through the generic decoder and parseRecordNode).
 */
export function readNodeBytes (bytes: Uint8Array): { readonly node: RecordNode, readonly signed: Uint8Array, readonly eventCid: Uint8Array } | undefined {
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
  return { node: { v: RECORD_FORMAT_VERSION, log, seq: seq[0], event: cidBytesToString(event), prev, deps: [], sig }, signed, eventCid: event.slice() }
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
