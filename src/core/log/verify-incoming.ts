/**
 * Stateless checks of received records and their linked blocks, using the
 * epochs' follow keys only: sizes, CIDs, decryption and canonical form of the node,
 * the thread and log it belongs to, that the event, header and body blocks
 * it links to are present and intact, and that it is authentic. Nothing is
 * decoded before its size is checked. Stateful checks (prev held, deps held,
 * equivocation) are the record store's.
 *
 * Authenticity by chain (docs/PROTOCOL.md, "Verifying a batch"): a record's
 * ID is the hash of its whole node, signature included, and each node names
 * its predecessor's ID in `prev`. So a valid signature on a record vouches
 * for every record it reaches through `prev`. In a batch, a record is
 * authentic when its own signature verifies, or when an authentic record of
 * the same log in the batch names it as `prev`: only the newest record of
 * each unbroken run is checked with Ed25519, and its ancestors by hash.
 */
import { BadCidError, BadSignatureError, MalformedRecordError, TooLargeError } from '../errors.ts'
import { equals } from 'multiformats/bytes'
import { canonicalCidBytes, cidToString, isCanonicalCid } from './blocks.ts'
import type { RawBlock } from '../storage/interfaces.ts'
import type { FollowKeys } from './keyring.ts'
import { checkSealedBlock, openEvent, openRecordUnsigned, verifyRecordSignature } from './open-record.ts'
import { LIMITS, type EventLinks, type LinkNamer, type RecordNode } from './record-format.ts'

/** Largest total of the blocks of one record. */
export const MAX_RECORD_TOTAL_BYTES = LIMITS.maxRecordBlockBytes + LIMITS.maxEventBlockBytes + LIMITS.maxHeaderBlockBytes + LIMITS.maxBodyBlockBytes

/** A received record that passed every stateless check. */
export interface VerifiedRecord {
  readonly record: string
  readonly node: RecordNode
  readonly links: EventLinks
  /** Exactly the record's four blocks: record, event, header, body. */
  readonly blocks: readonly RawBlock[]
}

/** A record as received: the log it is offered as, the follow keys to open it with, its ID and the blocks sent with it. */
export interface ReceivedRecord {
  readonly log: string
  readonly keys: FollowKeys
  readonly record: string
  readonly blocks: readonly RawBlock[]
}

/**
 * Every stateless check of one record of `thread` but its signature.
 * `before`: the ID of the record received just before it, which its prev
 * usually names (a push carries a log's records in order).
 */
function checkIncomingRecord (thread: string, input: ReceivedRecord, before?: string): VerifiedRecord {
  let total = 0
  for (const block of input.blocks) {
    total += block.bytes.length
    if (total > MAX_RECORD_TOTAL_BYTES) throw new TooLargeError(`blocks of record ${input.record.slice(0, 80)} exceed ${MAX_RECORD_TOTAL_BYTES} bytes`)
  }
  const recordBlock = need(input, input.record, 'record')
  const name = suppliedNames(input.blocks, before)
  const node = openRecordUnsigned(recordBlock, input.keys, { thread, log: input.log }, name)
  const eventBlock = need(input, node.event, 'event')
  const links = openEvent(eventBlock, name)
  const headerBlock = need(input, links.header, 'header')
  const bodyBlock = need(input, links.body, 'body')
  checkSealedBlock(headerBlock, 'header')
  checkSealedBlock(bodyBlock, 'body')
  return { record: input.record, node, links, blocks: [recordBlock, eventBlock, headerBlock, bodyBlock] }
}

/** Verifies one record of `thread` on its own: every stateless check, and its own signature. */
export async function verifyIncomingRecord (thread: string, input: ReceivedRecord): Promise<VerifiedRecord> {
  const checked = checkIncomingRecord(thread, input)
  await verifyRecordSignature(checked.node, checked.record)
  return checked
}

/**
 * Verifies a batch of received records of `thread`: every stateless check of
 * each, and authenticity by chain (see above). Each input is answered, in
 * order, with its verified form or its typed error. Signatures are checked
 * concurrently; a run whose newest signature fails falls back to the record
 * before it, so the outcome for each record is the same whatever
 * implementation computes it.
 */
export async function verifyIncomingBatch (thread: string, inputs: readonly ReceivedRecord[]): Promise<Array<VerifiedRecord | Error>> {
  const checked: Array<VerifiedRecord | Error> = inputs.map((input, i) => {
    try {
      return checkIncomingRecord(thread, input, inputs[i - 1]?.record)
    } catch (error) {
      return error as Error
    }
  })
  // Each checked record by ID, and the IDs a checked record of the same log names as prev.
  const byId = new Map<string, VerifiedRecord>()
  for (const c of checked) if (!(c instanceof Error)) byId.set(c.record, c)
  const before = (c: VerifiedRecord): VerifiedRecord | undefined => {
    const prev = c.node.prev === null ? undefined : byId.get(c.node.prev)
    return prev !== undefined && prev.node.log === c.node.log ? prev : undefined
  }
  const namedAsPrev = new Set<string>()
  for (const c of byId.values()) {
    const prev = before(c)
    if (prev !== undefined) namedAsPrev.add(prev.record)
  }
  const authentic = new Set<string>()
  const badSignature = new Map<string, Error>()
  /**
   * Checks a record's own signature: on success it and every record its prev
   * chain reaches in the batch are authentic; on failure the record before it
   * is checked on its own. The set of authentic records does not depend on
   * the order these checks finish in.
   */
  const authenticate = async (c: VerifiedRecord): Promise<void> => {
    if (authentic.has(c.record) || badSignature.has(c.record)) return
    try {
      await verifyRecordSignature(c.node, c.record)
    } catch (error) {
      badSignature.set(c.record, error as Error)
      const prev = before(c)
      if (prev !== undefined) await authenticate(prev)
      return
    }
    for (let cursor: VerifiedRecord | undefined = c; cursor !== undefined && !authentic.has(cursor.record); cursor = before(cursor)) {
      authentic.add(cursor.record)
    }
  }
  // The newest record of each run: not named as prev by a checked record of its log.
  await Promise.all([...byId.values()].filter((c) => !namedAsPrev.has(c.record)).map(authenticate))
  return checked.map((c) => {
    if (c instanceof Error || authentic.has(c.record)) return c
    return badSignature.get(c.record) ?? new BadSignatureError(`record ${c.record} is not vouched for by a valid signature of log ${c.node.log}`)
  })
}

/**
 * Names links by the texts of the blocks supplied with a record, and by the
 * ID of the record received before it (`before`): the texts the sender
 * wrote, decoded once each and compared, printing only a link to none of
 * them. A text names the CID it decodes to only if it is that CID's
 * canonical text, so the names are the ones cidToString prints.
 */
function suppliedNames (blocks: readonly RawBlock[], before?: string): LinkNamer {
  const texts = before === undefined ? blocks.map((block) => block.cid) : [before, ...blocks.map((block) => block.cid)]
  const named: Array<Uint8Array | null> = []
  return (cid) => {
    for (let i = texts.length - 1; i >= 0; i--) {
      named[i] ??= canonicalCidBytes(texts[i]!) ?? null
      if (named[i] !== null && equals(named[i]!, cid.bytes)) return texts[i]!
    }
    return cidToString(cid)
  }
}

/** The supplied block named `cid` (the last one, if several are). */
function need (input: { readonly record: string, readonly blocks: readonly RawBlock[] }, cid: string, what: string): RawBlock {
  for (let i = input.blocks.length - 1; i >= 0; i--) {
    const block = input.blocks[i]!
    if (block.cid === cid) return { cid, bytes: block.bytes }
  }
  const misspelled = input.blocks.find((block) => !isCanonicalCid(block.cid))
  if (misspelled !== undefined) throw new BadCidError(`block CID "${misspelled.cid.slice(0, 80)}" of record ${input.record.slice(0, 80)} is not a canonical base32 CIDv1 of dag-cbor with sha2-256`, misspelled.cid)
  throw new MalformedRecordError(`${what} block ${cid} of record ${input.record.slice(0, 80)} was not supplied`)
}
