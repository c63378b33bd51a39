/**
 * The sync protocol's messages, version 2 (docs/PROTOCOL.md, "Sync"). Each
 * request gets exactly one response. Messages are dag-cbor, length-prefixed on
 * the wire, and checked for version, shape, size and canonical identifiers
 * (wire-ids.ts) before anything acts on them: a message of another version is
 * an UnsupportedVersionError naming it, and one naming a CID, thread or log in
 * any other spelling is refused whole.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { decodeBoundedDagCbor, type DecodeLimits } from '../bounded-cbor.ts'
import { MalformedMessageError, TooComplexError, TooLargeError, UnsupportedVersionError } from '../errors.ts'
import type { RawBlock } from '../storage/interfaces.ts'
import { parsePullProof, type PullProof } from './pull-proof.ts'
import { wireCid, wireLogId, wireThreadId } from './wire-ids.ts'
import type { RecordEnvelope } from '../log/record-envelope.ts'

export type { RecordEnvelope }

/** The protocol version every message carries as `v`. */
export const SYNC_VERSION = 2
/** The libp2p protocol ID. */
export const SYNC_PROTOCOL = '/threads/sync/2.0.0'
/** Largest encoded message accepted or sent, request or response. */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024
/** Most records in one message. */
export const MAX_RECORDS_PER_MESSAGE = 512
/** Most heads in one response. */
export const MAX_ITEMS_PER_MESSAGE = 4096
/** Most positions in one pull request. */
export const MAX_LOGS_PER_REQUEST = 1024
/** Most epoch follow keys in one follow request. */
export const MAX_FOLLOW_KEYS = 256

/** A published snapshot's blocks as exchanged: its root and the blocks the root names. */
export interface SnapshotBlocks { readonly root: RawBlock, readonly blocks: readonly RawBlock[] }
/** Most blocks of a snapshot in one message. */
export const MAX_SNAPSHOT_BLOCKS_PER_MESSAGE = 1024
/**
 * Most items and deepest nesting of one message. The fullest honest message,
 * a page of MAX_ITEMS_PER_MESSAGE heads, holds about 29,000 items at depth 3;
 * a full batch of records about 14,000 at depth 5.
 */
export const SYNC_DECODE_LIMITS: DecodeLimits = { maxItems: 65_536, maxDepth: 16 }

/** A log's head as exchanged. */
export interface WireHead { readonly log: string, readonly seq: number, readonly record: string }
/** Requests. The list that grows with a thread (heads) comes in pages: `after` is the last log ID of the page before. */
export type SyncRequest =
  | { readonly v: 2, readonly type: 'heads', readonly thread: string, readonly after?: string, readonly proof?: PullProof }
  | { readonly v: 2, readonly type: 'pull', readonly thread: string, readonly from: ReadonlyArray<{ readonly log: string, readonly after: number }>, readonly limit: number, readonly proof?: PullProof }
  | { readonly v: 2, readonly type: 'push', readonly thread: string, readonly records: readonly RecordEnvelope[] }
  /**
   * A signed request that a follower keep a thread (see follow-request.ts):
   * the follow keys of the epochs the signer knows, and, from the owner, the
   * signer's first record: the owner's genesis (required for a thread's
   * first follow) or a member's join (so a follower that does not hold the
   * member's log yet can admit it).
   */
  | { readonly v: 2, readonly type: 'follow', readonly thread: string, readonly keys: readonly Uint8Array[], readonly by: string, readonly sig: Uint8Array, readonly first?: RecordEnvelope }
  /** A published snapshot of the thread's views (db/published-snapshot.ts) to keep; it is signed by its publisher. */
  | { readonly v: 2, readonly type: 'snapshot-put', readonly thread: string, readonly snapshot: SnapshotBlocks }
  /**
   * The newest published snapshot kept; members only, like heads and pulls. `first` is the asker's first record (its
   * join), taken as a push before membership is checked, so a joiner's first contact is one request.
   */
  | { readonly v: 2, readonly type: 'snapshot-get', readonly thread: string, readonly proof?: PullProof, readonly first?: RecordEnvelope }

/** Responses. */
export type SyncResponse =
  | { readonly v: 2, readonly type: 'heads', readonly thread: string, readonly heads: readonly WireHead[], readonly more: boolean }
  | { readonly v: 2, readonly type: 'records', readonly thread: string, readonly records: readonly RecordEnvelope[], readonly more: boolean }
  | { readonly v: 2, readonly type: 'pushed', readonly stored: number, readonly duplicates: number, readonly rejected: ReadonlyArray<{ readonly record: string, readonly name: string, readonly message: string }> }
  | { readonly v: 2, readonly type: 'following', readonly thread: string }
  | { readonly v: 2, readonly type: 'snapshot-stored', readonly thread: string }
  /** The newest published snapshot, absent when none is kept. */
  | { readonly v: 2, readonly type: 'snapshot', readonly thread: string, readonly snapshot?: SnapshotBlocks }
  | { readonly v: 2, readonly type: 'error', readonly name: string, readonly message: string }

/** Longest error name, and message, a response carries. */
export const MAX_ERROR_NAME_LENGTH = 80
export const MAX_ERROR_MESSAGE_LENGTH = 2000

/** Encodes a message, refusing one over the size limit. */
export function encodeMessage (message: SyncRequest | SyncResponse): Uint8Array {
  const bytes = dagCbor.encode(message)
  if (bytes.length > MAX_MESSAGE_BYTES) throw new TooLargeError(`sync message is ${bytes.length} bytes; the limit is ${MAX_MESSAGE_BYTES}`)
  return bytes
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
const isText = (v: unknown, max = 256): v is string => typeof v === 'string' && v.length > 0 && v.length <= max
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

function records (value: unknown): RecordEnvelope[] {
  if (!Array.isArray(value) || value.length > MAX_RECORDS_PER_MESSAGE) throw new MalformedMessageError(`a message carries at most ${MAX_RECORDS_PER_MESSAGE} records`)
  return value.map((r, i) => {
    if (!isMap(r) || !Array.isArray(r.blocks) || r.blocks.length !== 4) throw new MalformedMessageError(`record ${i} of the message is malformed`)
    const blocks = r.blocks.map((b, j) => {
      if (!isMap(b) || !(b.bytes instanceof Uint8Array)) throw new MalformedMessageError(`block ${j} of record ${i} is malformed`)
      return { cid: wireCid(b.cid, () => `block ${j} of record ${i}`), bytes: b.bytes }
    })
    return { log: wireLogId(r.log), record: wireCid(r.record, () => `record ${i}`), blocks }
  })
}

function snapshotBlocks (value: unknown): SnapshotBlocks {
  if (!isMap(value) || !Array.isArray(value.blocks) || value.blocks.length > MAX_SNAPSHOT_BLOCKS_PER_MESSAGE) throw new MalformedMessageError(`a snapshot is { root, blocks } with at most ${MAX_SNAPSHOT_BLOCKS_PER_MESSAGE} blocks`)
  const block = (b: unknown, what: string): RawBlock => {
    if (!isMap(b) || !(b.bytes instanceof Uint8Array)) throw new MalformedMessageError(`${what} of a snapshot is malformed`)
    return { cid: wireCid(b.cid, what), bytes: b.bytes }
  }
  return { root: block(value.root, 'root block'), blocks: value.blocks.map((b, i) => block(b, `block ${i}`)) }
}

function decode (bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length > MAX_MESSAGE_BYTES) throw new TooLargeError(`sync message is ${bytes.length} bytes; the limit is ${MAX_MESSAGE_BYTES}`)
  let value: unknown
  try {
    value = decodeBoundedDagCbor(bytes, SYNC_DECODE_LIMITS, 'sync message')
  } catch (cause) {
    if (cause instanceof TooComplexError) throw cause
    throw new MalformedMessageError('sync message is not dag-cbor', { cause })
  }
  if (!isMap(value) || !('v' in value)) throw new MalformedMessageError('not a sync message: no version')
  if (value.v !== SYNC_VERSION) {
    // Named without JSON: it cannot write a BigInt (a version of 2^64 − 1 is one), and a structure need not be written out.
    const v = value.v
    const version = typeof v === 'number' || typeof v === 'bigint' ? String(v).slice(0, 40) : typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : `of type ${v === null ? 'null' : typeof v}`
    throw new UnsupportedVersionError(`sync message version ${version} is not supported; this peer speaks version ${SYNC_VERSION} only (${SYNC_PROTOCOL})`)
  }
  if (typeof value.type !== 'string') throw new MalformedMessageError('not a sync message: no type')
  return value
}

/** The optional `after` of a page request: a canonical log ID, or absent. */
const pageAfter = (m: Record<string, unknown>): { after?: string } => m.after === undefined ? {} : { after: wireLogId(m.after) }

/** The optional pull proof of a heads or pull request (pull-proof.ts). */
const proofOf = (m: Record<string, unknown>): { proof?: PullProof } => m.proof === undefined ? {} : { proof: parsePullProof(m.proof) }

/** Decodes and checks a request. */
export function decodeRequest (bytes: Uint8Array): SyncRequest {
  const m = decode(bytes)
  const thread = wireThreadId(m.thread)
  switch (m.type) {
    case 'heads': return { v: 2, type: 'heads', thread, ...pageAfter(m), ...proofOf(m) }
    case 'pull': {
      if (!Array.isArray(m.from) || m.from.length > MAX_LOGS_PER_REQUEST || !Number.isSafeInteger(m.limit) || (m.limit as number) < 1) throw new MalformedMessageError('malformed pull request')
      const from = m.from.map((f) => {
        if (!isMap(f) || !isCount(f.after)) throw new MalformedMessageError('malformed pull position')
        return { log: wireLogId(f.log), after: f.after }
      })
      return { v: 2, type: 'pull', thread, from, limit: Math.min(m.limit as number, MAX_RECORDS_PER_MESSAGE), ...proofOf(m) }
    }
    case 'push': return { v: 2, type: 'push', thread, records: records(m.records) }
    case 'follow': {
      if (!Array.isArray(m.keys) || m.keys.length === 0 || m.keys.length > MAX_FOLLOW_KEYS || !(m.sig instanceof Uint8Array) || m.sig.length !== 64) throw new MalformedMessageError('malformed follow request')
      const keys = m.keys.map((key) => {
        if (!(key instanceof Uint8Array) || key.length !== 32) throw new MalformedMessageError('malformed follow key')
        return key
      })
      const request = { v: 2, type: 'follow', thread, keys, by: wireLogId(m.by), sig: m.sig } as const
      if (m.first === undefined) return request
      const [first] = records([m.first])
      return { ...request, first: first! }
    }
    case 'snapshot-put': return { v: 2, type: 'snapshot-put', thread, snapshot: snapshotBlocks(m.snapshot) }
    case 'snapshot-get': return { v: 2, type: 'snapshot-get', thread, ...proofOf(m), ...m.first === undefined ? {} : { first: records([m.first])[0]! } }
    default: throw new MalformedMessageError(`unknown sync request "${String(m.type).slice(0, 40)}"`)
  }
}

/** Decodes and checks a response. */
export function decodeResponse (bytes: Uint8Array): SyncResponse {
  const m = decode(bytes)
  switch (m.type) {
    case 'heads': {
      if (!Array.isArray(m.heads) || m.heads.length > MAX_ITEMS_PER_MESSAGE || typeof m.more !== 'boolean') throw new MalformedMessageError('malformed heads response')
      const heads = m.heads.map((h) => {
        if (!isMap(h) || !isCount(h.seq)) throw new MalformedMessageError('malformed head')
        return { log: wireLogId(h.log), seq: h.seq, record: wireCid(h.record, 'head record') }
      })
      return { v: 2, type: 'heads', thread: wireThreadId(m.thread), heads, more: m.more }
    }
    case 'records':
      if (typeof m.more !== 'boolean') throw new MalformedMessageError('malformed records response')
      return { v: 2, type: 'records', thread: wireThreadId(m.thread), records: records(m.records), more: m.more }
    case 'pushed': {
      if (!isCount(m.stored) || !isCount(m.duplicates) || !Array.isArray(m.rejected) || m.rejected.length > MAX_RECORDS_PER_MESSAGE) throw new MalformedMessageError('malformed push response')
      const rejected = m.rejected.map((r) => {
        if (!isMap(r) || !isText(r.name, MAX_ERROR_NAME_LENGTH) || typeof r.message !== 'string') throw new MalformedMessageError('malformed refusal in a push response')
        return { record: wireCid(r.record, 'refused record'), name: r.name, message: r.message.slice(0, MAX_ERROR_MESSAGE_LENGTH) }
      })
      return { v: 2, type: 'pushed', stored: m.stored, duplicates: m.duplicates, rejected }
    }
    case 'following':
      return { v: 2, type: 'following', thread: wireThreadId(m.thread) }
    case 'snapshot-stored':
      return { v: 2, type: 'snapshot-stored', thread: wireThreadId(m.thread) }
    case 'snapshot':
      return { v: 2, type: 'snapshot', thread: wireThreadId(m.thread), ...m.snapshot === undefined ? {} : { snapshot: snapshotBlocks(m.snapshot) } }
    case 'error':
      return { v: 2, type: 'error', name: String(m.name).slice(0, MAX_ERROR_NAME_LENGTH), message: String(m.message).slice(0, MAX_ERROR_MESSAGE_LENGTH) }
    default: throw new MalformedMessageError(`unknown sync response "${String(m.type).slice(0, 40)}"`)
  }
}
