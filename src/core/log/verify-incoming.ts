/**
 * Stateless checks of a received record and its linked blocks, using the
 * follow key only: sizes, CIDs, decryption of the node, signature, and that the
 * event, header and body blocks it links to are present and intact. Nothing is
 * decoded before its CID and size are checked. Stateful checks (prev, deps,
 * equivocation) are the record store's.
 */
import { MalformedRecordError, TooLargeError } from '../errors.ts'
import type { RawBlock } from '../storage/interfaces.ts'
import { checkSealedBlock, openEventLinks, openRecordNode } from './open-record.ts'
import { LIMITS, type EventLinks, type RecordNode } from './record-format.ts'

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

/** Verifies one record of `log` from the blocks supplied with it. */
export async function verifyIncomingRecord (input: {
  readonly log: string
  readonly followKey: Uint8Array
  readonly record: string
  readonly blocks: readonly RawBlock[]
}): Promise<VerifiedRecord> {
  let total = 0
  for (const block of input.blocks) {
    total += block.bytes.length
    if (total > MAX_RECORD_TOTAL_BYTES) throw new TooLargeError(`blocks of record ${input.record} exceed ${MAX_RECORD_TOTAL_BYTES} bytes`)
  }
  const recordBlock = need(input, input.record, 'record')
  const { node, eventCid } = await openRecordNode(recordBlock, input.followKey, input.log)
  const eventBlock = need(input, node.event, 'event')
  const { links, header, body } = openEventLinks(eventBlock, eventCid)
  const headerBlock = need(input, links.header, 'header')
  const bodyBlock = need(input, links.body, 'body')
  checkSealedBlock(headerBlock, 'header', header)
  checkSealedBlock(bodyBlock, 'body', body)
  return { record: input.record, node, links, blocks: [recordBlock, eventBlock, headerBlock, bodyBlock] }
}

/** The supplied block named `cid` (the last one, if several are). */
function need (input: { readonly record: string, readonly blocks: readonly RawBlock[] }, cid: string, what: string): RawBlock {
  for (let i = input.blocks.length - 1; i >= 0; i--) {
    const block = input.blocks[i]!
    if (block.cid === cid) return { cid, bytes: block.bytes }
  }
  throw new MalformedRecordError(`${what} block ${cid} of record ${input.record} was not supplied`)
}
