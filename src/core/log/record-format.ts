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
import { CID } from 'multiformats/cid'
import { MalformedRecordError } from '../errors.ts'
import { linkToString } from './blocks.ts'

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

