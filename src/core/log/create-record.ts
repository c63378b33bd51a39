/**
 * Builds one record in two steps. `sealEvent` encrypts the body under a fresh
 * content key and the header (time and content key) under the header key
 * (the epoch's read key for a database event, its follow key for an ACL
 * event), and links both from the event block; it needs no position in the
 * log, so it can run while the previous record is still being signed.
 * `signRecord` then writes the node (thread, position, epoch key ID, kind,
 * links, dependencies), signs it with the log key and seals it with the
 * epoch's follow key. Pure: nothing is stored here.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { generateSymmetricKey } from '../crypto/aead.ts'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { BadCidError, MalformedRecordError, MissingKeyError, TooLargeError } from '../errors.ts'
import type { LogIdentity } from '../ids/log-id.ts'
import type { RawBlock } from '../storage/interfaces.ts'
import { cidOf, cidToString, encodeBlock, isCanonicalCid, encodeRecordEnvelope, encodeSealedBlock, parseCid, type EncodedBlock, type Sha256 } from './blocks.ts'
import { LIMITS, RECORD_FORMAT_VERSION, signedPart, type Dependency, type EventLinks, type RecordKind, type RecordNode } from './record-format.ts'

/** The epoch a record is sealed with: its key ID and follow key. */
export interface SealingEpoch {
  readonly keyId: Uint8Array
  readonly followKey: Uint8Array
}

/** Where a new record goes in its log: after `prev`, or first when null. */
export interface LogPosition {
  readonly record: string
  readonly seq: number
  /** The record's CID already parsed, when the caller has it. */
  readonly link?: CID
}

/** An encrypted event not yet placed in a log. */
export interface SealedEvent {
  readonly contentKey: Uint8Array
  /** Event, header and body blocks, in that order. */
  readonly blocks: readonly [EncodedBlock, RawBlock, RawBlock]
}

/** A created record: its ID, decrypted node, content key and all four blocks. */
export interface CreatedRecord {
  readonly record: string
  readonly link: CID
  readonly node: RecordNode
  /** What its event block links: known here, so the record need not be decoded to find them. */
  readonly links: EventLinks
  readonly contentKey: Uint8Array
  /** Record, event, header and body blocks, in that order. */
  readonly blocks: readonly [RawBlock, RawBlock, RawBlock, RawBlock]
}

/**
 * Encrypts a payload into event, header and body blocks; the header is sealed
 * with `headerKey` (the epoch's read key for kind "data", its follow key for "acl").
 */
export function sealEvent (input: { readonly headerKey: Uint8Array, readonly payload: unknown, readonly time?: number, readonly random?: RandomSource, readonly sha256?: Sha256 }): SealedEvent {
  let plaintext: Uint8Array
  try {
    plaintext = dagCbor.encode(input.payload)
  } catch (cause) {
    throw new MalformedRecordError('payload cannot be encoded as dag-cbor', { cause })
  }
  return sealEncodedEvent({ ...input, plaintext })
}

/**
 * `sealEvent` for a payload already encoded as dag-cbor (`plaintext`), so a
 * caller that encoded it to check it does not encode it again.
 */
export function sealEncodedEvent (input: { readonly headerKey: Uint8Array, readonly plaintext: Uint8Array, readonly time?: number, readonly random?: RandomSource, readonly sha256?: Sha256 }): SealedEvent {
  const random = input.random ?? secureRandom
  const { plaintext, sha256 } = input
  if (plaintext.length > LIMITS.maxPayloadBytes) throw new TooLargeError(`payload is ${plaintext.length} bytes; the limit is ${LIMITS.maxPayloadBytes}`)
  const time = input.time ?? Date.now()
  if (!Number.isSafeInteger(time) || time < 0) throw new MalformedRecordError(`event time ${time} is not an integer from 0 to 2^53 − 1`)
  const contentKey = generateSymmetricKey(random)
  const body = encodeSealedBlock(contentKey, plaintext, random, sha256)
  const header = encodeSealedBlock(input.headerKey, dagCbor.encode({ v: RECORD_FORMAT_VERSION, time, key: contentKey }), random, sha256)
  const event = encodeBlock({ v: RECORD_FORMAT_VERSION, header: header.link, body: body.link }, sha256)
  return { contentKey, blocks: [event, header, body] }
}

/**
 * Places a sealed event after `prev` in `identity`'s log of `thread`: signs
 * the node, names the record by the hash of the signed node, and seals the
 * node with the follow key (the envelope the record travels and rests in).
 */
export async function signRecord (input: {
  readonly thread: string
  readonly identity: LogIdentity
  readonly epoch: SealingEpoch
  readonly kind: RecordKind
  readonly event: SealedEvent
  readonly prev: LogPosition | null
  readonly deps?: readonly Dependency[]
  /** Manifest CIDs of the media the record starts referencing (src/core/media), readable with the follow key. */
  readonly attachments?: readonly string[]
  /** Manifest CIDs of the media the record stops referencing. */
  readonly releases?: readonly string[]
  readonly random?: RandomSource
  /** Hashes the record block (see Sha256); @noble/hashes by default. */
  readonly sha256?: Sha256
}): Promise<CreatedRecord> {
  const deps = input.deps ?? []
  const media = { attachments: mediaLinks(input.attachments, 'attachments'), releases: mediaLinks(input.releases, 'releases') }
  if (deps.length > LIMITS.maxDependencies) throw new TooLargeError(`${deps.length} dependencies; at most ${LIMITS.maxDependencies} are allowed`)
  for (const dep of deps) {
    if (dep.log === input.identity.logId) throw new MalformedRecordError('a dependency on the same log is expressed by prev, not deps')
  }
  const [event, header, body] = input.event.blocks
  const unsigned = {
    v: RECORD_FORMAT_VERSION,
    thread: input.thread,
    log: input.identity.logId,
    seq: input.prev === null ? 1 : input.prev.seq + 1,
    key: input.epoch.keyId,
    kind: input.kind,
    event: event.cid,
    prev: input.prev?.record ?? null,
    deps: deps.map((d) => ({ log: d.log, record: d.record, kind: d.kind })),
    ...(media.attachments.length > 0 ? { attachments: media.attachments } : {}),
    ...(media.releases.length > 0 ? { releases: media.releases } : {})
  }
  const signed = signedPart({ ...unsigned, event: event.link, prev: input.prev === null ? null : (input.prev.link ?? parseCid(input.prev.record)) })
  const sig = await input.identity.signer.sign(dagCbor.encode(signed))
  const sealed = sealRecordNode({ ...signed, sig }, input.epoch, input.random, input.sha256)
  // Plain { cid, bytes } blocks: a created record is often kept a while, and the encoded blocks'
  // binary CIDs and CID objects are not needed past this point.
  return {
    record: sealed.block.cid,
    link: sealed.link,
    node: { ...unsigned, sig },
    links: { header: header.cid, body: body.cid },
    contentKey: input.event.contentKey,
    blocks: [sealed.block, rawBlock(event), rawBlock(header), rawBlock(body)]
  }
}

/**
 * The record block of a node value (signature included): its ID is the CID
 * of the node's dag-cbor, and its bytes are the envelope `{ k, s }` holding
 * the epoch's key ID and that dag-cbor sealed with the epoch's follow key.
 * The value is encoded as given, unchecked.
 */
export function sealRecordNode (node: Record<string, unknown>, epoch: SealingEpoch, random?: RandomSource, sha256?: Sha256): { readonly link: CID, readonly block: RawBlock } {
  const plaintext = dagCbor.encode(node)
  const link = cidOf(plaintext, sha256)
  return { link, block: { cid: cidToString(link), bytes: encodeRecordEnvelope(epoch.keyId, epoch.followKey, plaintext, random) } }
}

/** Attachments or releases: at most maxAttachments distinct manifest CIDs, each in its one canonical spelling. */
function mediaLinks (cids: readonly string[] | undefined, field: string): readonly string[] {
  if (cids === undefined) return []
  if (cids.length > LIMITS.maxAttachments) throw new TooLargeError(`${cids.length} ${field}; at most ${LIMITS.maxAttachments} are allowed`)
  if (new Set(cids).size !== cids.length) throw new MalformedRecordError(`a record names each of its ${field} once`)
  for (const cid of cids) {
    if (!isCanonicalCid(cid)) throw new BadCidError(`${field} "${cid.slice(0, 80)}" is not a canonical base32 CIDv1 of dag-cbor with sha2-256`, cid)
  }
  return cids
}

const rawBlock = (block: RawBlock): RawBlock => ({ cid: block.cid, bytes: block.bytes })

/** Everything needed to create a record in one call. */
export interface CreateRecordInput {
  readonly thread: string
  readonly identity: LogIdentity
  /** The epoch that seals the record; a "data" record needs its read key. */
  readonly epoch: SealingEpoch & { readonly readKey?: Uint8Array }
  /** "data" (default): a database event, readable by members with the read key; "acl": readable with the follow key. */
  readonly kind?: RecordKind
  /** Any dag-cbor value; encrypted (for kind "data", never visible to followers). */
  readonly payload: unknown
  readonly prev: LogPosition | null
  readonly deps?: readonly Dependency[]
  /** Manifest CIDs of the media the record starts referencing (src/core/media); followers keep those blocks. */
  readonly attachments?: readonly string[]
  /** Manifest CIDs of the media the record stops referencing; followers drop blocks nothing references. */
  readonly releases?: readonly string[]
  /** Milliseconds since the epoch; defaults to now. */
  readonly time?: number
  readonly random?: RandomSource
  /** Hashes the record's blocks (see Sha256); @noble/hashes by default. */
  readonly sha256?: Sha256
}

/** Encrypts, links and signs one event into a record of `identity`'s log. */
export async function createRecord (input: CreateRecordInput): Promise<CreatedRecord> {
  const kind = input.kind ?? 'data'
  const event = sealEvent({ ...input, headerKey: headerKeyOf(input.epoch, kind) })
  return await signRecord({ ...input, kind, event })
}

/** The key that seals a record's header: the epoch's read key for "data", its follow key for "acl". */
export function headerKeyOf (epoch: { readonly followKey: Uint8Array, readonly readKey?: Uint8Array }, kind: RecordKind): Uint8Array {
  if (kind === 'acl') return epoch.followKey
  if (epoch.readKey === undefined) throw new MissingKeyError('a database event needs the read key of the epoch that seals it')
  return epoch.readKey
}
