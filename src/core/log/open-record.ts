/**
 * Opens a record layer by layer. Each function takes exactly the key of its
 * layer, so what a party can read follows from the keys it holds:
 * the epoch's follow key (found by the key ID on the record's envelope) →
 * node (links, sequence, signature) and, for ACL events, the header; the
 * epoch's read key → the header of a database event; content key (from the
 * header) → body. Every block is checked against its
 * ID and size before it is decoded; a record block, whose envelope bytes
 * name nothing, is checked by hashing the node it opens to.
 */
import { verifySignature } from '../crypto/ed25519.ts'
import { BadCidError, BadSignatureError, MalformedRecordError, TooLargeError, UnknownEpochError } from '../errors.ts'
import { equalBytes } from '../acl/epoch-keys.ts'
import { keyIdText } from '../acl/state.ts'
import { publicKeyFromLogId } from '../ids/log-id.ts'
import { checkBlock, cidBytesOf, cidBytesToString, namesCid, openAndDecode, openAndRead, recordEnvelopeParts, sealedBytesOf } from './blocks.ts'
import type { FollowKeys } from './keyring.ts'
import { decodeCanonical, LIMITS, parseEventHeader, parseEventLinks, parseRecordNode, signedBytes, type EventHeader, type EventLinks, type LinkNamer, type RecordNode } from './record-format.ts'

/** A block as received or read: its claimed CID (for a record block, the record ID) and its bytes. */
export interface BlockInput {
  readonly cid: string
  readonly bytes: Uint8Array
}

/** What a record node must belong to. */
export interface RecordExpectation {
  /** The thread the record is read in; a node naming another thread is refused. */
  readonly thread?: string
  /** The log the record was offered as. */
  readonly log?: string
}

/**
 * The sealed node of a record block and the follow key of the epoch its
 * envelope names: MalformedRecordError for a malformed envelope,
 * UnknownEpochError when that epoch's keys are not held.
 */
function sealedNodeOf (block: BlockInput, keys: FollowKeys): { keyId: Uint8Array, sealed: Uint8Array, followKey: Uint8Array } {
  if (block.bytes.length > LIMITS.maxRecordBlockBytes) throw new TooLargeError(`record ${block.cid} is ${block.bytes.length} bytes; the limit is ${LIMITS.maxRecordBlockBytes}`)
  const { keyId, sealed } = recordEnvelopeParts(block.bytes, 'record')
  const followKey = keys.followKey(keyId)
  if (followKey === undefined) throw new UnknownEpochError(`record ${block.cid.slice(0, 80)} is sealed with epoch ${keyIdText(keyId)}, whose keys are not held here`)
  return { keyId, sealed, followKey }
}

/**
 * Decrypts a record block with the follow key of the epoch its envelope
 * names and checks, without the signature: size, canonical form and shape of
 * the node, that the node names the same epoch as its envelope and hashes to
 * the claimed record ID (BadCidError otherwise), and that it belongs to the
 * expected thread and log (MalformedRecordError).
 */
export function openRecordUnsigned (block: BlockInput, keys: FollowKeys, expect: RecordExpectation = {}, name?: LinkNamer): RecordNode {
  const { keyId, sealed, followKey } = sealedNodeOf(block, keys)
  const node = openAndRead(followKey, sealed, `record ${block.cid}`, (plaintext) => {
    const parsed = parseRecordNode(decodeCanonical(plaintext, 'record node'), name)
    if (!equalBytes(parsed.key, keyId)) throw new MalformedRecordError(`record ${block.cid.slice(0, 80)} names epoch ${keyIdText(parsed.key)} but its envelope names ${keyIdText(keyId)}`)
    const id = cidBytesOf(plaintext)
    if (!namesCid(block.cid, id)) throw new BadCidError(`record node hashes to ${cidBytesToString(id)}, not to the record ID ${block.cid.slice(0, 80)}`, block.cid)
    return parsed
  })
  // Every log the node names must be a valid Ed25519 log ID (MalformedLogIdError), checked before any signature.
  publicKeyFromLogId(node.log)
  for (const dep of node.deps) publicKeyFromLogId(dep.log)
  if (expect.thread !== undefined && node.thread !== expect.thread) {
    throw new MalformedRecordError(`record ${block.cid} belongs to thread ${node.thread}, not ${expect.thread}`)
  }
  if (expect.log !== undefined && node.log !== expect.log) {
    throw new MalformedRecordError(`record ${block.cid} belongs to log ${node.log}, not ${expect.log}`)
  }
  return node
}

/**
 * Checks a stored record block against its record ID without decoding the
 * node: it must open under its epoch's follow key to bytes that hash to the
 * ID (DecryptError, BadCidError). For serving records already accepted.
 */
export function checkRecordBlock (block: BlockInput, keys: FollowKeys): void {
  const { sealed, followKey } = sealedNodeOf(block, keys)
  const id = openAndRead(followKey, sealed, `record ${block.cid}`, (plaintext) => cidBytesOf(plaintext))
  if (!namesCid(block.cid, id)) throw new BadCidError(`stored record block opens to a node that hashes to ${cidBytesToString(id)}, not to ${block.cid}`, block.cid)
}

/** `openRecordUnsigned`, then the node's own signature (BadSignatureError). */
export async function openRecord (block: BlockInput, keys: FollowKeys, expect: RecordExpectation = {}): Promise<RecordNode> {
  const node = openRecordUnsigned(block, keys, expect)
  await verifyRecordSignature(node, block.cid)
  return node
}

/** Checks a node's signature with the public key embedded in its log ID (MalformedLogIdError when that is no valid key). */
export async function verifyRecordSignature (node: RecordNode, cid = 'record'): Promise<void> {
  const ok = await verifySignature(publicKeyFromLogId(node.log), node.sig, signedBytes(node))
  if (!ok) throw new BadSignatureError(`${cid} is not signed by log ${node.log}`)
}

/** Verifies and decodes an event block (links only; no key needed); `name` as parseEventLinks takes it. */
export function openEvent (block: BlockInput, name?: LinkNamer): EventLinks {
  checkBlock(block.cid, block.bytes, LIMITS.maxEventBlockBytes, 'event')
  return parseEventLinks(decodeCanonical(block.bytes, 'event'), name)
}

/** Verifies and decrypts a header block with its key (the epoch's read key for "data", its follow key for "acl"). */
export function openHeader (block: BlockInput, headerKey: Uint8Array): EventHeader {
  checkBlock(block.cid, block.bytes, LIMITS.maxHeaderBlockBytes, 'header')
  return decryptHeader(block, headerKey)
}

/** Decrypts a header block whose CID and size were already verified. */
export function decryptHeader (block: BlockInput, headerKey: Uint8Array): EventHeader {
  const sealed = sealedBytesOf(block.bytes, 'header')
  return openAndRead(headerKey, sealed, `header ${block.cid}`, (plaintext) => parseEventHeader(decodeCanonical(plaintext, 'header')))
}

/** Verifies and decrypts a body block with its content key; returns the payload. */
export function openBody (block: BlockInput, contentKey: Uint8Array): unknown {
  checkBlock(block.cid, block.bytes, LIMITS.maxBodyBlockBytes, 'body')
  return decryptBody(block, contentKey)
}

/** Decrypts a body block whose CID and size were already verified. */
export function decryptBody (block: BlockInput, contentKey: Uint8Array): unknown {
  const sealed = sealedBytesOf(block.bytes, 'body')
  return openAndDecode(contentKey, sealed, `body ${block.cid}`, 'payload')
}

/** Verifies a sealed header or body block without a key: CID, size and framing only. */
export function checkSealedBlock (block: BlockInput, kind: 'header' | 'body'): void {
  checkBlock(block.cid, block.bytes, kind === 'header' ? LIMITS.maxHeaderBlockBytes : LIMITS.maxBodyBlockBytes, kind)
  sealedBytesOf(block.bytes, kind)
}
