/**
 * The sync protocol's messages, version 1 (docs/PROTOCOL.md, "Sync"). Each
 * request gets exactly one response. Messages are dag-cbor, length-prefixed on
 * the wire, and checked for shape and size before anything acts on them.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { MalformedRecordError, TooLargeError } from '../errors.ts'
import type { RawBlock } from '../storage/interfaces.ts'

/** The libp2p protocol ID. */
export const SYNC_PROTOCOL = '/threads/sync/1.0.0'
/** Largest encoded message accepted. */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024
/** Most records in one message. */
export const MAX_RECORDS_PER_MESSAGE = 512

/** A log's head as exchanged. */
export interface WireHead { readonly log: string, readonly seq: number, readonly record: string }
/** A record and its four blocks as exchanged. */
export interface WireRecord { readonly log: string, readonly record: string, readonly blocks: readonly RawBlock[] }
/** A signed request that a follower keep a thread's logs (see follow-request.ts). */
export interface FollowGrant { readonly log: string, readonly followKey: Uint8Array }

/** A join announcement as exchanged (see invite.ts). */
export interface WireAnnouncement { readonly log: string, readonly via: string, readonly sealed: Uint8Array, readonly sig: Uint8Array }

/** Requests. */
export type SyncRequest =
  | { readonly v: 1, readonly type: 'announce', readonly thread: string, readonly announcement: WireAnnouncement }
  | { readonly v: 1, readonly type: 'announcements', readonly thread: string }
  | { readonly v: 1, readonly type: 'heads', readonly thread: string }
  | { readonly v: 1, readonly type: 'pull', readonly thread: string, readonly from: ReadonlyArray<{ readonly log: string, readonly after: number }>, readonly limit: number }
  | { readonly v: 1, readonly type: 'push', readonly thread: string, readonly records: readonly WireRecord[] }
  | { readonly v: 1, readonly type: 'follow', readonly thread: string, readonly logs: readonly FollowGrant[], readonly by: string, readonly sig: Uint8Array }

/** Responses. */
export type SyncResponse =
  | { readonly v: 1, readonly type: 'announced', readonly thread: string }
  | { readonly v: 1, readonly type: 'announcements', readonly thread: string, readonly announcements: readonly WireAnnouncement[] }
  | { readonly v: 1, readonly type: 'heads', readonly thread: string, readonly heads: readonly WireHead[] }
  | { readonly v: 1, readonly type: 'records', readonly thread: string, readonly records: readonly WireRecord[], readonly more: boolean }
  | { readonly v: 1, readonly type: 'pushed', readonly stored: number, readonly duplicates: number, readonly rejected: ReadonlyArray<{ readonly record: string, readonly name: string, readonly message: string }> }
  | { readonly v: 1, readonly type: 'following', readonly thread: string }
  | { readonly v: 1, readonly type: 'error', readonly name: string, readonly message: string }

/** Encodes a message, refusing one over the size limit. */
export function encodeMessage (message: SyncRequest | SyncResponse): Uint8Array {
  const bytes = dagCbor.encode(message)
  if (bytes.length > MAX_MESSAGE_BYTES) throw new TooLargeError(`sync message is ${bytes.length} bytes; the limit is ${MAX_MESSAGE_BYTES}`)
  return bytes
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256

function records (value: unknown): WireRecord[] {
  if (!Array.isArray(value) || value.length > MAX_RECORDS_PER_MESSAGE) throw new MalformedRecordError(`a message carries at most ${MAX_RECORDS_PER_MESSAGE} records`)
  return value.map((r, i) => {
    if (!isMap(r) || !isText(r.log) || !isText(r.record) || !Array.isArray(r.blocks) || r.blocks.length !== 4) throw new MalformedRecordError(`record ${i} of the message is malformed`)
    const blocks = r.blocks.map((b) => {
      if (!isMap(b) || !isText(b.cid) || !(b.bytes instanceof Uint8Array)) throw new MalformedRecordError(`a block of record ${i} is malformed`)
      return { cid: b.cid, bytes: b.bytes }
    })
    return { log: r.log, record: r.record, blocks }
  })
}

function announcement (value: unknown): WireAnnouncement {
  if (!isMap(value) || !isText(value.log) || !isText(value.via) || !(value.sealed instanceof Uint8Array) || value.sealed.length > 4096 || !(value.sig instanceof Uint8Array)) {
    throw new MalformedRecordError('malformed join announcement')
  }
  return { log: value.log, via: value.via, sealed: value.sealed, sig: value.sig }
}

function decode (bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length > MAX_MESSAGE_BYTES) throw new TooLargeError(`sync message is ${bytes.length} bytes; the limit is ${MAX_MESSAGE_BYTES}`)
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (cause) {
    throw new MalformedRecordError('sync message is not dag-cbor', { cause })
  }
  if (!isMap(value) || value.v !== 1 || typeof value.type !== 'string') throw new MalformedRecordError('not a version 1 sync message')
  return value
}

/** Decodes and checks a request. */
export function decodeRequest (bytes: Uint8Array): SyncRequest {
  const m = decode(bytes)
  if (!isText(m.thread)) throw new MalformedRecordError('sync request names no thread')
  switch (m.type) {
    case 'heads': return { v: 1, type: 'heads', thread: m.thread }
    case 'announce': return { v: 1, type: 'announce', thread: m.thread, announcement: announcement(m.announcement) }
    case 'announcements': return { v: 1, type: 'announcements', thread: m.thread }
    case 'pull': {
      if (!Array.isArray(m.from) || m.from.length > 1024 || !Number.isSafeInteger(m.limit) || (m.limit as number) < 1) throw new MalformedRecordError('malformed pull request')
      const from = m.from.map((f) => {
        if (!isMap(f) || !isText(f.log) || !Number.isSafeInteger(f.after) || (f.after as number) < 0) throw new MalformedRecordError('malformed pull position')
        return { log: f.log, after: f.after as number }
      })
      return { v: 1, type: 'pull', thread: m.thread, from, limit: Math.min(m.limit as number, MAX_RECORDS_PER_MESSAGE) }
    }
    case 'push': return { v: 1, type: 'push', thread: m.thread, records: records(m.records) }
    case 'follow': {
      if (!Array.isArray(m.logs) || m.logs.length === 0 || m.logs.length > 1024 || !isText(m.by) || !(m.sig instanceof Uint8Array)) throw new MalformedRecordError('malformed follow request')
      const logs = m.logs.map((g) => {
        if (!isMap(g) || !isText(g.log) || !(g.followKey instanceof Uint8Array) || g.followKey.length !== 32) throw new MalformedRecordError('malformed follow grant')
        return { log: g.log, followKey: g.followKey }
      })
      return { v: 1, type: 'follow', thread: m.thread, logs, by: m.by, sig: m.sig }
    }
    default: throw new MalformedRecordError(`unknown sync request "${String(m.type).slice(0, 40)}"`)
  }
}

/** Decodes and checks a response. */
export function decodeResponse (bytes: Uint8Array): SyncResponse {
  const m = decode(bytes)
  switch (m.type) {
    case 'heads': {
      if (!isText(m.thread) || !Array.isArray(m.heads)) throw new MalformedRecordError('malformed heads response')
      const heads = m.heads.map((h) => {
        if (!isMap(h) || !isText(h.log) || !isText(h.record) || !Number.isSafeInteger(h.seq)) throw new MalformedRecordError('malformed head')
        return { log: h.log, seq: h.seq as number, record: h.record }
      })
      return { v: 1, type: 'heads', thread: m.thread, heads }
    }
    case 'records':
      if (!isText(m.thread) || typeof m.more !== 'boolean') throw new MalformedRecordError('malformed records response')
      return { v: 1, type: 'records', thread: m.thread, records: records(m.records), more: m.more }
    case 'pushed':
      if (!Number.isSafeInteger(m.stored) || !Number.isSafeInteger(m.duplicates) || !Array.isArray(m.rejected)) throw new MalformedRecordError('malformed push response')
      return { v: 1, type: 'pushed', stored: m.stored as number, duplicates: m.duplicates as number, rejected: m.rejected as Array<{ record: string, name: string, message: string }> }
    case 'announced':
      if (!isText(m.thread)) throw new MalformedRecordError('malformed announce response')
      return { v: 1, type: 'announced', thread: m.thread }
    case 'announcements':
      if (!isText(m.thread) || !Array.isArray(m.announcements) || m.announcements.length > 4096) throw new MalformedRecordError('malformed announcements response')
      return { v: 1, type: 'announcements', thread: m.thread, announcements: m.announcements.map(announcement) }
    case 'following':
      if (!isText(m.thread)) throw new MalformedRecordError('malformed follow response')
      return { v: 1, type: 'following', thread: m.thread }
    case 'error':
      return { v: 1, type: 'error', name: String(m.name).slice(0, 80), message: String(m.message).slice(0, 2000) }
    default: throw new MalformedRecordError(`unknown sync response "${String(m.type).slice(0, 40)}"`)
  }
}
