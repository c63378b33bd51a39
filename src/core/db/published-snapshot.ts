/**
 * Published snapshots of a thread's views (docs/PROTOCOL.md, "Published
 * snapshots"): what a writer shares so that a member joining later shows the
 * thread at once instead of replaying every record first.
 *
 * A snapshot is a set of content-addressed dag-cbor blocks:
 * - chunks: the document states (as the local snapshot stores them,
 *   snapshots.ts) sealed with the read key of the epoch the manifest names;
 * - the ACL block: every ACL record the publisher held up to the snapshot's
 *   position (records signed by their own authors, sealed with follow keys),
 *   so a joiner can evaluate the publisher's role before it holds any log;
 * - the root block `{ m: manifest, sig }`: the manifest names the thread,
 *   the publisher's log, the version vector covered (log, seq and record ID
 *   of each log's last record included), the epoch key ID, and the CIDs of
 *   the chunks and the ACL block; `sig` is the publisher's log key's Ed25519
 *   signature of dag-cbor({ purpose, manifest }).
 *
 * Opening one checks, in order, everything a joiner can check before it holds
 * the records: shape and size, CIDs, signature, the publisher's role at the
 * covered position, the vector against the heads a follower reports, and the
 * content. Each failure is its own named error (snapshot-errors.ts). What
 * cannot be checked before the records arrive (that the states are the fold
 * of those records) is checked in the background (snapshot-check.ts).
 */
import * as dagCbor from '@ipld/dag-cbor'
import { open } from '../crypto/aead.ts'
import { verifySignature } from '../crypto/ed25519.ts'
import type { RandomSource } from '../crypto/random.ts'
import { BLOCK_DECODE_LIMITS, decodeBoundedDagCbor } from '../bounded-cbor.ts'
import { ThreadsError } from '../errors.ts'
import { atLeast } from '../acl/roles.ts'
import { keyIdText } from '../acl/state.ts'
import type { AclState } from '../acl/types.ts'
import { publicKeyFromLogId, type LogIdentity } from '../ids/log-id.ts'
import { asMap, exactFields } from '../map-shape.ts'
import { PACK_LIMITS } from '../media/thumbnail-pack.ts'
import { decodeAclRecord, evaluateDecodedAcl, type DecodedAcl } from '../log/admission.ts'
import { checkBlock, decodeBlock, encodeBlock, encodeSealedBlock, sealedBytesOf } from '../log/blocks.ts'
import type { EpochKeyring } from '../log/keyring.ts'
import type { RecordEnvelope } from '../log/record-envelope.ts'
import { verifyIncomingBatch } from '../log/verify-incoming.ts'
import type { RawBlock } from '../storage/interfaces.ts'
import type { DocState, FieldEntry, Incarnation } from './doc-state.ts'
import { MalformedSnapshotError, SnapshotContentError, SnapshotPublisherError, SnapshotSignatureError, SnapshotTooLargeError, SnapshotVectorError } from './snapshot-errors.ts'
import { encodeChunk, type StoredChunk } from './snapshots.ts'
import type { Version } from './version.ts'
import { textOf } from './text.ts'

/** Format of the manifest this version writes and reads. */
export const PUBLISHED_SNAPSHOT_VERSION = 1
/** What the publisher's signature is over, besides the manifest. */
export const SNAPSHOT_PURPOSE = 'threads/v3/snapshot'
/** Largest snapshot, all blocks together: it travels in one sync message (8 MiB) with room to spare. */
export const MAX_SNAPSHOT_BYTES = 7 * 1024 * 1024
/** Most blocks of one snapshot. */
export const MAX_SNAPSHOT_BLOCKS = 1024
/** Documents per chunk. */
const DOCS_PER_CHUNK = 512
/**
 * How a chunk's plaintext is decoded: items are bounded by its bytes (each takes one at least), and depth by what
 * a record's values may nest (BLOCK_DECODE_LIMITS) plus the chunk's own levels.
 */
const CHUNK_DECODE_LIMITS = { maxItems: MAX_SNAPSHOT_BYTES, maxDepth: BLOCK_DECODE_LIMITS.maxDepth + 16 }
/** The manifest's fields; `thumbs` is optional. */
const MANIFEST_FIELDS = ['v', 'thread', 'by', 'clock', 'vector', 'key', 'chunks', 'acl', 'docs', 'time'] as const
/** Most logs a vector names. */
const MAX_VECTOR_LOGS = 4096

/** A snapshot as it travels and is stored: its root block and every block the root names. */
export interface SnapshotBundle {
  readonly root: RawBlock
  readonly blocks: readonly RawBlock[]
}

/** A log's position a snapshot covers: its last record included. */
export interface SnapshotPosition {
  readonly log: string
  readonly seq: number
  readonly record: string
}

/** What the publisher signs. */
export interface SnapshotManifest {
  readonly v: typeof PUBLISHED_SNAPSHOT_VERSION
  readonly thread: string
  /** The publisher's log. */
  readonly by: string
  /** The view's clock (the largest event clock folded in). */
  readonly clock: number
  /** One position per log, sorted by log ID: [log, seq, record ID]. */
  readonly vector: ReadonlyArray<readonly [string, number, string]>
  /** Key ID of the epoch whose read key seals the chunks. */
  readonly key: Uint8Array
  readonly chunks: readonly string[]
  /** CID of the block listing the ACL records up to the vector. */
  readonly acl: string
  /** Documents in the chunks, for display before they are opened. */
  readonly docs: number
  /** When it was made (the publisher's clock, ms). */
  readonly time: number
  /** The thumbnail packs of the thread's photos (media/thumbnail-pack.ts), by CID; absent when none was made. */
  readonly thumbs?: readonly string[]
}

/** A snapshot read and checked: the states to show, what it covers and who vouches for it. */
export interface OpenedSnapshot {
  readonly root: string
  readonly manifest: SnapshotManifest
  readonly by: string
  readonly clock: number
  readonly positions: readonly SnapshotPosition[]
  /** Log ID → seq covered, as the local snapshot keeps it. */
  readonly vector: Readonly<Record<string, number>>
  readonly states: ReadonlyArray<readonly [coll: string, state: DocState]>
}

const signedBytes = (manifest: SnapshotManifest): Uint8Array => dagCbor.encode({ purpose: SNAPSHOT_PURPOSE, manifest })

/**
 * Makes a snapshot of `states` covering `positions`, sealed with `epoch`'s
 * read key and signed by `identity`; one over MAX_SNAPSHOT_BYTES is
 * SnapshotTooLargeError (the thread is then joined by replay).
 */
export async function createPublishedSnapshot (input: {
  readonly thread: string
  readonly identity: LogIdentity
  readonly epoch: { readonly keyId: Uint8Array, readonly readKey: Uint8Array }
  readonly states: ReadonlyArray<readonly [string, DocState]>
  readonly clock: number
  readonly positions: readonly SnapshotPosition[]
  readonly acl: readonly RecordEnvelope[]
  readonly time: number
  /** CIDs of the thumbnail pack blocks made of the photos these states show. */
  readonly thumbs?: readonly string[]
  readonly random?: RandomSource
}): Promise<SnapshotBundle> {
  const blocks: RawBlock[] = []
  let size = 0
  const add = (block: RawBlock): string => {
    size += block.bytes.length
    if (size > MAX_SNAPSHOT_BYTES || blocks.length >= MAX_SNAPSHOT_BLOCKS) {
      throw new SnapshotTooLargeError(`a snapshot of thread ${input.thread} would pass ${MAX_SNAPSHOT_BYTES} bytes or ${MAX_SNAPSHOT_BLOCKS} blocks; it is joined by replay`)
    }
    blocks.push({ cid: block.cid, bytes: block.bytes })
    return block.cid
  }
  const chunks: string[] = []
  for (let i = 0; i < input.states.length; i += DOCS_PER_CHUNK) {
    chunks.push(add(encodeSealedBlock(input.epoch.readKey, dagCbor.encode(encodeChunk(input.states.slice(i, i + DOCS_PER_CHUNK))), input.random)))
  }
  const acl = add(encodeBlock(input.acl.map((r) => ({ log: r.log, record: r.record, blocks: r.blocks.map((b) => ({ cid: b.cid, bytes: b.bytes })) }))))
  const manifest: SnapshotManifest = {
    v: PUBLISHED_SNAPSHOT_VERSION,
    thread: input.thread,
    by: input.identity.logId,
    clock: input.clock,
    vector: [...input.positions].sort((a, b) => a.log < b.log ? -1 : a.log > b.log ? 1 : 0).map((p) => [p.log, p.seq, p.record] as const),
    key: input.epoch.keyId,
    chunks,
    acl,
    docs: input.states.length,
    time: input.time,
    ...input.thumbs === undefined || input.thumbs.length === 0 ? {} : { thumbs: [...input.thumbs] }
  }
  const root = encodeBlock({ m: manifest, sig: await input.identity.signer.sign(signedBytes(manifest)) })
  if (size + root.bytes.length > MAX_SNAPSHOT_BYTES) throw new SnapshotTooLargeError(`a snapshot of thread ${input.thread} would pass ${MAX_SNAPSHOT_BYTES} bytes`)
  return { root: { cid: root.cid, bytes: root.bytes }, blocks }
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0
const isText = (v: unknown, max = 256): v is string => typeof v === 'string' && v.length > 0 && v.length <= max

/** A block's bytes after checking them against its CID; any failure is MalformedSnapshotError. */
function checkedBlock (block: RawBlock, what: string): Uint8Array {
  try {
    checkBlock(block.cid, block.bytes, MAX_SNAPSHOT_BYTES, what)
  } catch (cause) {
    throw new MalformedSnapshotError(`the snapshot's ${what} does not match its CID`, { cause })
  }
  return block.bytes
}

/**
 * The manifest and signature of a snapshot of `thread`, after checking sizes,
 * every block against its CID and the manifest's shape (MalformedSnapshotError).
 * Nothing is trusted yet: the signature is not checked here.
 */
export function readSnapshot (thread: string, bundle: SnapshotBundle): { readonly manifest: SnapshotManifest, readonly sig: Uint8Array, readonly blocks: ReadonlyMap<string, Uint8Array> } {
  if (bundle.blocks.length > MAX_SNAPSHOT_BLOCKS) throw new MalformedSnapshotError(`a snapshot has at most ${MAX_SNAPSHOT_BLOCKS} blocks`)
  const total = bundle.blocks.reduce((n, b) => n + b.bytes.length, bundle.root.bytes.length)
  if (total > MAX_SNAPSHOT_BYTES) throw new MalformedSnapshotError(`a snapshot is at most ${MAX_SNAPSHOT_BYTES} bytes; this one is ${total}`)
  const root = asMap(decodeSnapshotBlock(checkedBlock(bundle.root, 'root block')), 'snapshot root', MalformedSnapshotError)
  exactFields(root, ['m', 'sig'], 'snapshot root', MalformedSnapshotError)
  if (!(root.sig instanceof Uint8Array) || root.sig.length !== 64) throw new MalformedSnapshotError('a snapshot signature is 64 bytes')
  const m = asMap(root.m, 'snapshot manifest', MalformedSnapshotError)
  exactFields(m, [...MANIFEST_FIELDS, ...'thumbs' in m ? ['thumbs'] : []], 'snapshot manifest', MalformedSnapshotError)
  if (m.v !== PUBLISHED_SNAPSHOT_VERSION) throw new MalformedSnapshotError(`snapshot format ${String(m.v).slice(0, 20)} is not supported; this peer reads format ${PUBLISHED_SNAPSHOT_VERSION}`)
  if (m.thread !== thread) throw new MalformedSnapshotError(`the snapshot is of thread ${String(m.thread).slice(0, 80)}, not ${thread}`)
  if (!isText(m.by, 128) || !isCount(m.clock) || !isCount(m.docs) || !isCount(m.time) || !(m.key instanceof Uint8Array) || m.key.length !== 16 || !isText(m.acl)) {
    throw new MalformedSnapshotError('the snapshot manifest has a field of the wrong type')
  }
  if (!Array.isArray(m.vector) || m.vector.length === 0 || m.vector.length > MAX_VECTOR_LOGS) throw new MalformedSnapshotError(`a snapshot's vector names 1 to ${MAX_VECTOR_LOGS} logs`)
  let last = ''
  for (const p of m.vector as unknown[]) {
    if (!Array.isArray(p) || p.length !== 3 || !isText(p[0], 128) || !isCount(p[1]) || (p[1]) < 1 || !isText(p[2])) throw new MalformedSnapshotError('a snapshot vector entry is [log, seq ≥ 1, record ID]')
    if (p[0] <= last) throw new MalformedSnapshotError('a snapshot vector names each log once, sorted')
    last = p[0]
  }
  if (!Array.isArray(m.chunks) || m.chunks.length > MAX_SNAPSHOT_BLOCKS || !m.chunks.every((c) => isText(c))) throw new MalformedSnapshotError('a snapshot lists its chunks by CID')
  if ('thumbs' in m && (!Array.isArray(m.thumbs) || m.thumbs.length === 0 || m.thumbs.length > PACK_LIMITS.maxBlocks || !m.thumbs.every((c) => isText(c)))) {
    throw new MalformedSnapshotError(`a snapshot lists 1 to ${PACK_LIMITS.maxBlocks} thumbnail packs by CID`)
  }
  const blocks = new Map<string, Uint8Array>()
  for (const block of bundle.blocks) blocks.set(block.cid, checkedBlock(block, 'block'))
  return { manifest: m as unknown as SnapshotManifest, sig: root.sig, blocks }
}

/** `readSnapshot`, then the publisher's signature (SnapshotSignatureError). */
export async function readSignedSnapshot (thread: string, bundle: SnapshotBundle): Promise<{ readonly manifest: SnapshotManifest, readonly blocks: ReadonlyMap<string, Uint8Array> }> {
  const { manifest, sig, blocks } = readSnapshot(thread, bundle)
  let publicKey: Uint8Array
  try {
    publicKey = publicKeyFromLogId(manifest.by)
  } catch (cause) {
    throw new MalformedSnapshotError(`the snapshot's publisher ${manifest.by.slice(0, 80)} is no log ID`, { cause })
  }
  if (!await verifySignature(publicKey, sig, signedBytes(manifest))) throw new SnapshotSignatureError(`the snapshot ${bundle.root.cid} is not signed by log ${manifest.by}`)
  return { manifest, blocks }
}

function decodeSnapshotBlock (bytes: Uint8Array): unknown {
  try {
    return decodeBlock(bytes, 'snapshot block')
  } catch (cause) {
    throw new MalformedSnapshotError('a snapshot block is not dag-cbor', { cause })
  }
}

/**
 * The ACL as the publisher's ACL block gives it: every record verified on its
 * own (signature, CIDs, thread; follow keys only) and at or before the
 * vector's position of its log. Records are signed by their authors, so a
 * publisher can leave some out but can make none up.
 */
async function aclOfSnapshot (thread: string, manifest: SnapshotManifest, blocks: ReadonlyMap<string, Uint8Array>, keyring: EpochKeyring): Promise<AclState> {
  const bytes = blocks.get(manifest.acl)
  if (bytes === undefined) throw new MalformedSnapshotError(`the snapshot's ACL block ${manifest.acl.slice(0, 80)} is missing`)
  const listed = decodeSnapshotBlock(bytes)
  if (!Array.isArray(listed) || listed.length > MAX_SNAPSHOT_BLOCKS * 4) throw new MalformedSnapshotError('the snapshot\'s ACL block is a list of records')
  const covered = new Map(manifest.vector.map(([log, seq]) => [log, seq]))
  const envelopes = listed.map((r): RecordEnvelope => {
    const map = asMap(r, 'ACL record of a snapshot', MalformedSnapshotError)
    if (!isText(map.log, 128) || !isText(map.record) || !Array.isArray(map.blocks) || map.blocks.length !== 4) throw new MalformedSnapshotError('an ACL record of a snapshot is { log, record, blocks[4] }')
    return { log: map.log, record: map.record, blocks: map.blocks.map((b) => { const block = asMap(b, 'block', MalformedSnapshotError); return { cid: String(block.cid), bytes: block.bytes as Uint8Array } }) }
  })
  const verified = await verifyIncomingBatch(thread, envelopes.map((e) => ({ ...e, keys: keyring })))
  const events: DecodedAcl[] = []
  for (const v of verified) {
    if (v instanceof Error) throw new SnapshotPublisherError(`an ACL record in the snapshot does not verify: ${v.message}`, { cause: v })
    if (v.node.kind !== 'acl') throw new SnapshotPublisherError(`record ${v.record} in the snapshot's ACL block is not an ACL event`)
    if (v.node.seq > (covered.get(v.node.log) ?? 0)) throw new SnapshotVectorError(`ACL record ${v.record} is at seq ${v.node.seq} of log ${v.node.log}, after the snapshot's vector`)
    const event = decodeAclRecord(v.record, v.node, v.blocks[2]!, v.blocks[3]!, keyring.followKey(v.node.key)!)
    if (event !== null) events.push(event)
  }
  return await evaluateDecodedAcl(thread, events)
}

/**
 * Rebuilds a chunk's states from hostile bytes, checking the stored shape
 * (snapshots.ts, StoredChunk) as it goes: anything else is SnapshotContentError.
 * One pass, as the chunks of a large album hold thousands of documents and
 * opening them is what a joiner waits for.
 */
function parseChunk (value: unknown): Array<readonly [string, DocState]> {
  const malformed = (): SnapshotContentError => new SnapshotContentError('a document state in a snapshot chunk is malformed')
  const chunk = value as StoredChunk
  const ok = value !== null && typeof value === 'object' && Array.isArray(chunk.logs) && chunk.logs.every((l) => isText(l, 128)) && Array.isArray(chunk.states)
  if (!ok) throw new SnapshotContentError('a snapshot chunk is not a list of document states')
  const logs = chunk.logs
  const version = (v: unknown): Version => {
    if (!Array.isArray(v) || v.length !== 4 || !isCount(v[0]) || !isCount(v[1]) || v[1] >= logs.length || !isCount(v[2]) || !isCount(v[3])) throw malformed()
    return [v[0], logs[v[1]]!, v[2], v[3]]
  }
  const states: Array<readonly [string, DocState]> = []
  for (const s of chunk.states as unknown[]) {
    if (!Array.isArray(s) || s.length !== 4 || !isText(s[0]) || typeof s[1] !== 'string' || (s[2] !== null && typeof s[2] !== 'string') || !Array.isArray(s[3])) throw malformed()
    const id: string = s[1]
    const incarnations: Record<string, Incarnation> = {}
    for (const inc of s[3] as unknown[]) {
      if (!Array.isArray(inc) || inc.length !== 6 || typeof inc[0] !== 'string' || typeof inc[2] !== 'boolean' || !Array.isArray(inc[4]) || inc[5] === null || typeof inc[5] !== 'object') throw malformed()
      const fields: Record<string, FieldEntry> = {}
      for (const f of inc[4] as unknown[]) {
        if (!Array.isArray(f) || f.length !== 4 || typeof f[0] !== 'string' || typeof f[2] !== 'boolean') throw malformed()
        fields[f[0]] = f[2] ? { ver: version(f[1]), unset: true } : { ver: version(f[1]), value: f[3] }
      }
      const text: Record<string, Uint8Array> = { ...inc[5] as Record<string, unknown> as Record<string, Uint8Array> }
      for (const t of Object.values(text)) {
        if (!(t instanceof Uint8Array)) throw malformed()
        // A text state that does not load would fail when shown: refused here instead.
        try { textOf(t) } catch (cause) { throw new SnapshotContentError(`a text field of document ${id.slice(0, 80)} in a snapshot does not load`, { cause }) }
      }
      incarnations[inc[0]] = { created: inc[1] === null ? null : version(inc[1]), deleted: inc[2], latest: inc[3] === null ? null : version(inc[3]), fields, text }
    }
    const current: string | null = s[2]
    if (current !== null && incarnations[current] === undefined) throw new SnapshotContentError(`document ${id.slice(0, 80)} of a snapshot names an incarnation it lacks`)
    states.push([s[0], { id, current, incarnations }])
  }
  return states
}

/**
 * Opens a snapshot of `thread` a peer served, checking everything that can be
 * checked before the records arrive; `heads` are the thread's heads as a
 * follower reports them (a vector beyond them claims records nobody holds).
 * Throws MalformedSnapshotError, SnapshotSignatureError,
 * SnapshotPublisherError, SnapshotVectorError or SnapshotContentError.
 */
export async function openPublishedSnapshot (input: {
  readonly thread: string
  readonly bundle: SnapshotBundle
  readonly keyring: EpochKeyring
  readonly heads: ReadonlyArray<{ readonly log: string, readonly seq: number }> | Promise<ReadonlyArray<{ readonly log: string, readonly seq: number }>>
  /** Logs whose snapshots this peer no longer trusts (one of theirs lied before). */
  readonly distrusted?: ReadonlySet<string>
}): Promise<OpenedSnapshot> {
  const { thread, keyring } = input
  const { manifest, blocks } = await readSignedSnapshot(thread, input.bundle)
  if (input.distrusted?.has(manifest.by) === true) throw new SnapshotPublisherError(`log ${manifest.by} published a snapshot that its thread's records contradicted; its snapshots are not used`)
  const position = manifest.vector.find(([log]) => log === manifest.by)
  if (position === undefined) throw new SnapshotPublisherError(`the snapshot's vector does not cover its publisher's own log ${manifest.by}`)
  const acl = await aclOfSnapshot(thread, manifest, blocks, keyring)
  const role = acl.roleAt(manifest.by, position[1])
  if (!atLeast(role, 'write')) throw new SnapshotPublisherError(`log ${manifest.by} has role ${role} at seq ${position[1]}; publishing a snapshot needs write, like the writes it vouches for`)
  const readKey = keyring.readKey(manifest.key)
  if (readKey === undefined) throw new SnapshotContentError(`the snapshot is sealed with epoch ${keyIdText(manifest.key)}, whose read key is not held here`)
  const states: Array<readonly [string, DocState]> = []
  for (const cid of manifest.chunks) {
    const bytes = blocks.get(cid)
    if (bytes === undefined) throw new SnapshotContentError(`chunk ${cid.slice(0, 80)} of the snapshot is missing`)
    try {
      states.push(...parseChunk(decodeBoundedDagCbor(open(readKey, sealedBytesOf(bytes, 'snapshot chunk'), 'snapshot chunk'), CHUNK_DECODE_LIMITS, 'snapshot chunk')))
    } catch (cause) {
      if (cause instanceof SnapshotContentError) throw cause
      throw new SnapshotContentError(`chunk ${cid.slice(0, 80)} of the snapshot does not open with the read key it names`, { cause: cause instanceof ThreadsError ? cause : undefined })
    }
  }
  if (states.length !== manifest.docs) throw new SnapshotContentError(`the snapshot says it holds ${manifest.docs} documents but its chunks hold ${states.length}`)
  // Last, as the heads may still be on their way while the content opens.
  const heads = new Map((await input.heads).map((h) => [h.log, h.seq]))
  for (const [log, seq] of manifest.vector) {
    if (seq > (heads.get(log) ?? 0)) throw new SnapshotVectorError(`the snapshot covers log ${log} up to seq ${seq}, but the thread holds it up to seq ${heads.get(log) ?? 0}`)
  }
  return {
    root: input.bundle.root.cid,
    manifest,
    by: manifest.by,
    clock: manifest.clock,
    positions: manifest.vector.map(([log, seq, record]) => ({ log, seq, record })),
    vector: Object.fromEntries(manifest.vector.map(([log, seq]) => [log, seq])),
    states
  }
}
