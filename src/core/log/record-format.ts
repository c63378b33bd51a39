/**
 * The record format, version 3 (docs/PROTOCOL.md describes it byte by byte).
 *
 *   RecordNode    = { v: 3, thread, log, seq, key: keyId, kind, event: CID, prev: CID | null, deps: [Dependency], attachments?: [CID], releases?: [CID], sig }
 *   record ID     = CIDv1(dag-cbor, sha2-256) of dag-cbor(RecordNode)      (the plaintext node, sig included)
 *   record block  = { k: keyId, s: bstr( seal(followKey, dag-cbor(RecordNode)) ) }   (an envelope; its bytes name nothing)
 *   event block   = { v: 3, header: CID, body: CID }
 *   header block  = bstr( seal(readKey, dag-cbor({ v: 3, time, key })) )    (the follow key for kind "acl")
 *   body block    = bstr( seal(contentKey, dag-cbor(payload)) )
 *
 * `key` (and the envelope's `k`) is the 16-byte ID of the thread key epoch
 * whose keys seal the record; `kind` says whether the body is a database
 * event ("data", header sealed with the epoch's read key) or an ACL event
 * ("acl", header sealed with the follow key, so followers can read it).
 *
 * `sig` is the log key's Ed25519 signature over dag-cbor of the node without
 * `sig`. A record is named by the hash of its signed content and signature,
 * never by its envelope, so re-sealing a record (a fresh nonce) gives the same
 * record, and `prev` commits each record to every record before it, signatures
 * included. Every structure must be canonical dag-cbor with exactly its fields.
 *
 * `attachments`, present only when the record references media (never as an
 * empty list, so a node has one encoding), lists the manifest CIDs of the
 * media files the event starts using (src/core/media); `releases`, likewise,
 * those it stops using (a photo removed or replaced). A holder of the follow
 * key learns which blocks to keep, and when to let them go, without reading
 * the payload, and the signature fixes both lists.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { BLOCK_DECODE_LIMITS, decodeCanonicalDagCbor, NonCanonicalCborError } from '../bounded-cbor.ts'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { CID } from 'multiformats/cid'
import { BadSequenceError, MalformedRecordError, TooComplexError, UnsupportedVersionError } from '../errors.ts'
import { cidToString, isBlockCidBytes } from './blocks.ts'
import { asMap, exactFields } from '../map-shape.ts'

/** The record format version these modules write and read. */
export const RECORD_FORMAT_VERSION = 3

/** What a record's body holds: a database event, or an access-control event. */
export type RecordKind = 'data' | 'acl'
const KINDS: readonly string[] = ['data', 'acl']
/** Length of an epoch key ID. */
export const KEY_ID_BYTES = 16

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
  /** Media manifests one record may attach, and (separately) release. */
  maxAttachments: 64,
  /** Length of a dependency's `kind`, in UTF-8 bytes. */
  maxDependencyKindBytes: 32,
  /** Length of a log ID text, in UTF-8 bytes. */
  maxIdBytes: 128,
  /** Length of a thread ID text, in UTF-8 bytes (its 256 random bytes at most, in base32). */
  maxThreadIdBytes: 2100
} as const

/** What a record depends on in another log of the same thread (Radicle's feed dependencies). */
export interface Dependency {
  /** The log ID of the depended-on record. */
  readonly log: string
  /** The record's ID (canonical base32 CID text). */
  readonly record: string
  /** Why: "causal", "reply", "quote", … */
  readonly kind: string
}

/** The fields of a record node, with links of type `Link`. */
interface NodeFields<Link> {
  readonly v: number
  readonly thread: string
  readonly log: string
  readonly seq: number
  /** The key ID of the epoch that seals this record. */
  readonly key: Uint8Array
  readonly kind: RecordKind
  readonly event: Link
  readonly prev: Link | null
}

/** A decrypted record node, with CIDs as canonical strings. */
export interface RecordNode extends NodeFields<string> {
  readonly deps: readonly Dependency[]
  /** Manifest CIDs of the media the record starts referencing; absent when none. */
  readonly attachments?: readonly string[]
  /** Manifest CIDs of the media the record stops referencing; absent when none. */
  readonly releases?: readonly string[]
  readonly sig: Uint8Array
}

/** A decrypted event header. */
export interface EventHeader {
  readonly v: number
  /** Wall-clock milliseconds at creation, as the writer saw them (0 to 2^53 − 1). */
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
const utf8Length = (text: string): number => utf8ToBytes(text).length

/** The node fields that are signed, in any form the writer holds them. */
export interface UnsignedNode extends NodeFields<CidLike> {
  readonly deps: ReadonlyArray<{ readonly log: string, readonly record: CidLike, readonly kind: string }>
  readonly attachments?: readonly CidLike[]
  readonly releases?: readonly CidLike[]
}

/** The dag-cbor value that is signed: the node without its signature, links as CIDs. */
export function signedPart (node: UnsignedNode): Record<string, unknown> {
  const part: Record<string, unknown> = {
    v: node.v,
    thread: node.thread,
    log: node.log,
    seq: node.seq,
    key: node.key,
    kind: node.kind,
    event: asLink(node.event),
    prev: node.prev === null ? null : asLink(node.prev),
    deps: node.deps.map((d) => ({ log: d.log, record: asLink(d.record), kind: d.kind }))
  }
  if (node.attachments !== undefined && node.attachments.length > 0) part.attachments = node.attachments.map(asLink)
  if (node.releases !== undefined && node.releases.length > 0) part.releases = node.releases.map(asLink)
  return part
}

/** The bytes a node's signature covers. */
export function signedBytes (node: UnsignedNode): Uint8Array {
  return dagCbor.encode(signedPart(node))
}

/**
 * Decodes a dag-cbor structure of the format and checks it is in canonical
 * form: the bytes must be what encoding the decoded value again gives
 * (shortest integers and lengths, map keys in dag-cbor order, no duplicate
 * keys, 64-bit floats). A structure with two encodings would have two IDs.
 */
export function decodeCanonical (bytes: Uint8Array, what: string): unknown {
  try {
    return decodeCanonicalDagCbor(bytes, BLOCK_DECODE_LIMITS, what)
  } catch (cause) {
    if (cause instanceof TooComplexError) throw cause
    if (cause instanceof NonCanonicalCborError) throw new MalformedRecordError(`${what} is not in canonical dag-cbor form`, { cause })
    throw new MalformedRecordError(`${what} is not valid dag-cbor`, { cause })
  }
}

const NODE_FIELDS = ['v', 'thread', 'log', 'seq', 'key', 'kind', 'event', 'prev', 'deps', 'sig']
/** Optional fields, present only when not empty. */
const MEDIA_FIELDS = ['attachments', 'releases'] as const

/**
 * Checks the shape of a decoded record node; throws MalformedRecordError naming
 * the field (UnsupportedVersionError for another format version). Checks that
 * need other knowledge (the log ID is a valid key, the thread is the expected
 * one) are the caller's.
 */
export function parseRecordNode (value: unknown, name: LinkNamer = cidToString): RecordNode {
  const node = asMap(value, 'record node', MalformedRecordError)
  expectVersion(node.v, 'record node')
  exactFields(node, [...NODE_FIELDS, ...MEDIA_FIELDS.filter((f) => f in node)], 'record node', MalformedRecordError)
  const thread = idText(node.thread, 'record node field "thread"', LIMITS.maxThreadIdBytes)
  const log = idText(node.log, 'record node field "log"')
  if (!Number.isSafeInteger(node.seq) || (node.seq as number) < 1) throw new MalformedRecordError('record node field "seq" must be an integer from 1 to 2^53 − 1')
  if (!(node.key instanceof Uint8Array) || node.key.length !== KEY_ID_BYTES) throw new MalformedRecordError(`record node field "key" must be a ${KEY_ID_BYTES}-byte key ID`)
  if (typeof node.kind !== 'string' || !KINDS.includes(node.kind)) throw new MalformedRecordError('record node field "kind" must be "data" or "acl"')
  if (!(node.sig instanceof Uint8Array) || node.sig.length !== 64) throw new MalformedRecordError('record node field "sig" must be 64 bytes')
  if (!Array.isArray(node.deps)) throw new MalformedRecordError('record node field "deps" must be a list')
  if (node.deps.length > LIMITS.maxDependencies) throw new MalformedRecordError(`record node has ${node.deps.length} dependencies; at most ${LIMITS.maxDependencies} are allowed`)
  const deps = node.deps.map((raw, i) => parseDependency(raw, i, name))
  const seen = new Set<string>()
  for (const dep of deps) {
    if (dep.log === log) throw new MalformedRecordError(`record node depends on its own log ${log}; the record before it in the same log is named by prev`)
    if (seen.has(dep.record)) throw new MalformedRecordError(`record node names dependency ${dep.record} twice`)
    seen.add(dep.record)
  }
  const prev = node.prev === null ? null : link(node.prev, 'record node field "prev"', name)
  if ((prev === null) !== (node.seq === 1)) throw new BadSequenceError(`record node has seq ${node.seq as number} and ${prev === null ? 'no prev' : 'a prev'}; prev is null exactly when seq is 1`)
  const parsed: RecordNode = { v: RECORD_FORMAT_VERSION, thread, log, seq: node.seq as number, key: node.key, kind: node.kind as RecordKind, event: link(node.event, 'record node field "event"', name), prev, deps, sig: node.sig }
  const media: { attachments?: string[], releases?: string[] } = {}
  for (const field of MEDIA_FIELDS) if (field in node) media[field] = parseMediaLinks(node[field], field, name)
  return MEDIA_FIELDS.some((f) => f in node) ? { ...parsed, ...media } : parsed
}

/** A node's attachments or releases: 1 to maxAttachments distinct dag-cbor sha2-256 links (an empty list would be a second encoding of none). */
function parseMediaLinks (value: unknown, field: string, name: LinkNamer): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > LIMITS.maxAttachments) {
    throw new MalformedRecordError(`record node field "${field}" must be a list of 1 to ${LIMITS.maxAttachments} links, or absent`)
  }
  const links = value.map((raw, i) => link(raw, `record node field "${field}" item ${i}`, name))
  if (new Set(links).size !== links.length) throw new MalformedRecordError(`record node field "${field}" names a link twice`)
  return links
}

function parseDependency (value: unknown, index: number, name: LinkNamer): Dependency {
  const dep = asMap(value, `dependency ${index}`, MalformedRecordError)
  exactFields(dep, ['log', 'record', 'kind'], `dependency ${index}`, MalformedRecordError)
  const log = idText(dep.log, `dependency ${index} field "log"`)
  if (typeof dep.kind !== 'string' || dep.kind.length === 0 || utf8Length(dep.kind) > LIMITS.maxDependencyKindBytes) {
    throw new MalformedRecordError(`dependency ${index} field "kind" must be text of 1 to ${LIMITS.maxDependencyKindBytes} UTF-8 bytes`)
  }
  return { log, record: link(dep.record, `dependency ${index} field "record"`, name), kind: dep.kind }
}

/** Checks the shape of a decoded event block. */
export function parseEventLinks (value: unknown, name: LinkNamer = cidToString): EventLinks {
  const event = asMap(value, 'event', MalformedRecordError)
  expectVersion(event.v, 'event')
  exactFields(event, ['v', 'header', 'body'], 'event', MalformedRecordError)
  return { header: link(event.header, 'event field "header"', name), body: link(event.body, 'event field "body"', name) }
}

/** Checks the shape of a decrypted header. */
export function parseEventHeader (value: unknown): EventHeader {
  const header = asMap(value, 'header', MalformedRecordError)
  expectVersion(header.v, 'header')
  exactFields(header, ['v', 'time', 'key'], 'header', MalformedRecordError)
  if (!Number.isSafeInteger(header.time) || (header.time as number) < 0) throw new MalformedRecordError('header field "time" must be an integer from 0 to 2^53 − 1')
  if (!(header.key instanceof Uint8Array) || header.key.length !== 32) throw new MalformedRecordError('header field "key" must be a 32-byte key')
  return { v: RECORD_FORMAT_VERSION, time: header.time as number, key: header.key }
}

/**
 * The canonical string of a link's CID (cidToString), or the same string
 * found where the caller already holds it: a verifier holds the text of each
 * block it was sent, and printing a CID costs many times what comparing one does.
 */
export type LinkNamer = (cid: CID) => string

/** A link of the format: a CIDv1 of dag-cbor with a sha2-256 digest, as its canonical string. */
function link (value: unknown, what: string, name: LinkNamer): string {
  const cid = CID.asCID(value)
  if (cid === null || !isBlockCidBytes(cid.bytes)) throw new MalformedRecordError(`${what} must be a link to a CIDv1 dag-cbor sha2-256 block`)
  return name(cid)
}

function idText (value: unknown, what: string, maxBytes: number = LIMITS.maxIdBytes): string {
  if (typeof value !== 'string' || value.length === 0 || utf8Length(value) > maxBytes) throw new MalformedRecordError(`${what} must be an ID of 1 to ${maxBytes} bytes`)
  return value
}


function expectVersion (v: unknown, what: string): void {
  if (v !== RECORD_FORMAT_VERSION) {
    throw new UnsupportedVersionError(`${what} has format version ${String(v).slice(0, 20)}; this reader knows version ${RECORD_FORMAT_VERSION} only`)
  }
}
