/**
 * Builds one record in two steps. `sealEvent` encrypts the body under a fresh
 * content key and the header (time and content key) under the read key, and
 * links both from the event block; it needs no position in the log, so it can
 * run while the previous record is still being signed. `signRecord` then
 * writes the node (position, links, dependencies), signs it with the log key
 * and seals it with the follow key. Pure: nothing is stored here.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { generateSymmetricKey } from '../crypto/aead.ts'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { MalformedRecordError, TooLargeError } from '../errors.ts'
import type { LogIdentity } from '../ids/log-id.ts'
import type { RawBlock } from '../storage/interfaces.ts'
import { blockCidBytes, blockOfBytes, encodeBlock, encodeSealedBlock, parseCid, type EncodedBlock } from './blocks.ts'
import { LIMITS, RECORD_FORMAT_VERSION, signedPart, type Dependency, type RecordNode } from './record-format.ts'
import { encodeEventBytes, encodeHeaderBytes, encodeNodeBytes } from './record-templates.ts'

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

/** A created record: its CID, decrypted node, content key and all four blocks. */
export interface CreatedRecord {
  readonly record: string
  readonly link: CID
  readonly node: RecordNode
  readonly contentKey: Uint8Array
  /** Record, event, header and body blocks, in that order. */
  readonly blocks: readonly [RawBlock, RawBlock, RawBlock, RawBlock]
}

/** Encrypts a payload into event, header and body blocks. */
export function sealEvent (input: { readonly readKey: Uint8Array, readonly payload: unknown, readonly time?: number, readonly random?: RandomSource }): SealedEvent {
  const random = input.random ?? secureRandom
  let plaintext: Uint8Array
  try {
    plaintext = dagCbor.encode(input.payload)
  } catch (cause) {
    throw new MalformedRecordError('payload cannot be encoded as dag-cbor', { cause })
  }
  if (plaintext.length > LIMITS.maxPayloadBytes) throw new TooLargeError(`payload is ${plaintext.length} bytes; the limit is ${LIMITS.maxPayloadBytes}`)
  const contentKey = generateSymmetricKey(random)
  const body = encodeSealedBlock(contentKey, plaintext, random)
  const header = encodeSealedBlock(input.readKey, encodeHeaderBytes(input.time ?? Date.now(), contentKey), random)
  const eventBytes = encodeEventBytes(blockCidBytes(header), blockCidBytes(body))
  const event = eventBytes === undefined
    ? encodeBlock({ v: RECORD_FORMAT_VERSION, header: header.link, body: body.link })
    : blockOfBytes(eventBytes)
  return { contentKey, blocks: [event, header, body] }
}

/** Places a sealed event after `prev` in `identity`'s log: signs the node and seals it with the follow key. */
export async function signRecord (input: {
  readonly identity: LogIdentity
  readonly followKey: Uint8Array
  readonly event: SealedEvent
  readonly prev: LogPosition | null
  readonly deps?: readonly Dependency[]
  readonly random?: RandomSource
}): Promise<CreatedRecord> {
  const deps = input.deps ?? []
  if (deps.length > LIMITS.maxDependencies) throw new TooLargeError(`${deps.length} dependencies; at most ${LIMITS.maxDependencies} are allowed`)
  for (const dep of deps) {
    if (dep.log === input.identity.logId) throw new MalformedRecordError('a dependency on the same log is expressed by prev, not deps')
  }
  const [event, header, body] = input.event.blocks
  const unsigned = {
    v: RECORD_FORMAT_VERSION,
    log: input.identity.logId,
    seq: input.prev === null ? 1 : input.prev.seq + 1,
    event: event.cid,
    prev: input.prev?.record ?? null,
    deps: deps.map((d) => ({ log: d.log, record: d.record, kind: d.kind }))
  }
  // Without dependencies the node is written from a template (the same bytes; see record-templates.ts).
  const prevLink = input.prev === null ? null : (input.prev.link ?? parseCid(input.prev.record))
  const template = deps.length === 0
    ? { v: unsigned.v, log: unsigned.log, seq: unsigned.seq, event: blockCidBytes(event), prev: prevLink === null ? null : prevLink.bytes }
    : undefined
  const signedBytes = template === undefined ? undefined : encodeNodeBytes(template)
  let sig: Uint8Array
  let plaintext: Uint8Array
  if (template !== undefined && signedBytes !== undefined) {
    sig = await input.identity.signer.sign(signedBytes)
    plaintext = encodeNodeBytes(template, sig) ?? dagCbor.encode({ ...signedPart({ ...unsigned, event: event.link, prev: prevLink }), sig })
  } else {
    const signed = signedPart({ ...unsigned, event: event.link, prev: prevLink })
    sig = await input.identity.signer.sign(dagCbor.encode(signed))
    plaintext = dagCbor.encode({ ...signed, sig })
  }
  const record = encodeSealedBlock(input.followKey, plaintext, input.random)
  // Plain { cid, bytes } blocks: a created record is often kept a while, and the encoded blocks'
  // binary CIDs and CID objects are not needed past this point.
  return {
    record: record.cid,
    link: record.link,
    node: { ...unsigned, sig },
    contentKey: input.event.contentKey,
    blocks: [rawBlock(record), rawBlock(event), rawBlock(header), rawBlock(body)]
  }
}

const rawBlock = (block: RawBlock): RawBlock => ({ cid: block.cid, bytes: block.bytes })

/** Everything needed to create a record in one call. */
export interface CreateRecordInput {
  readonly identity: LogIdentity
  readonly followKey: Uint8Array
  readonly readKey: Uint8Array
  /** Any dag-cbor value; encrypted, never visible to followers. */
  readonly payload: unknown
  readonly prev: LogPosition | null
  readonly deps?: readonly Dependency[]
  /** Milliseconds since the epoch; defaults to now. */
  readonly time?: number
  readonly random?: RandomSource
}

/** Encrypts, links and signs one event into a record of `identity`'s log. */
export async function createRecord (input: CreateRecordInput): Promise<CreatedRecord> {
  const event = sealEvent(input)
  return await signRecord({ ...input, event })
}
