/**
 * Opens a record layer by layer. Each function takes exactly the key of its
 * layer, so what a party can read follows from the keys it holds:
 * follow key → node (links, sequence, signature); read key → header;
 * content key (from the header) → body. Every block's CID and size is
 * checked before it is decoded.
 */
import { verifySignature } from '../crypto/ed25519.ts'
import { BadSignatureError, MalformedLogIdError, MalformedRecordError } from '../errors.ts'
import { publicKeyFromLogId } from '../ids/log-id.ts'
import { checkBlock, checkLinkedBlock, cidBytesToString, decodeBlock, openAndDecode, openAndRead, sealedBytesOf } from './blocks.ts'
import { LIMITS, parseEventHeader, parseEventLinks, parseRecordNode, signedPart, type EventHeader, type EventLinks, type RecordNode } from './record-format.ts'
import { encodeSignedMap, readEventBytes, readHeaderBytes, readNodeBytes } from './record-templates.ts'

/** A block as received or read: its claimed CID and its bytes. */
export interface BlockInput {
  readonly cid: string
  readonly bytes: Uint8Array
}

/**
 * Verifies and decrypts a record block with the follow key, then checks the
 * signature against the log key named in the node (and `expectedLog` if given).
 */
export async function openRecord (block: BlockInput, followKey: Uint8Array, expectedLog?: string): Promise<RecordNode> {
  return (await openRecordNode(block, followKey, expectedLog)).node
}

/** `openRecord`, also giving the event's binary CID when the node was read from its template. */
export async function openRecordNode (block: BlockInput, followKey: Uint8Array, expectedLog?: string): Promise<{ readonly node: RecordNode, readonly eventCid?: Uint8Array }> {
  checkBlock(block.cid, block.bytes, LIMITS.maxRecordBlockBytes, 'record')
  const sealed = sealedBytesOf(block.bytes, 'record')
  const read = openAndRead(followKey, sealed, `record ${block.cid}`, readNode)
  if (expectedLog !== undefined && read.node.log !== expectedLog) {
    throw new MalformedRecordError(`record ${block.cid} belongs to log ${read.node.log}, not ${expectedLog}`)
  }
  await checkSignature(read.node, block.cid, read.signed)
  return read
}

/** A node plaintext: through the template when it fits, else the generic decoder (on a copy: the plaintext buffer is reused). */
function readNode (plaintext: Uint8Array): { readonly node: RecordNode, readonly signed: Uint8Array, readonly eventCid?: Uint8Array } {
  const fixed = readNodeBytes(plaintext)
  if (fixed !== undefined) return fixed
  const { signed, ...node } = parseRecordNode(decodeBlock(plaintext.slice(), 'record node'))
  return { node, signed: encodeSignedMap(signed) }
}

/**
 * Checks a node's signature with the public key embedded in its log ID.
 * `signed` is the node's signed part as decoded, when the caller has it.
 */
export async function verifyRecordSignature (node: RecordNode, cid = 'record', signed: Record<string, unknown> = signedPart(node)): Promise<void> {
  await checkSignature(node, cid, encodeSignedMap(signed))
}

async function checkSignature (node: RecordNode, cid: string, message: Uint8Array): Promise<void> {
  let publicKey: Uint8Array
  try {
    publicKey = publicKeyFromLogId(node.log)
  } catch (cause) {
    if (cause instanceof MalformedLogIdError) throw new MalformedRecordError(`${cid} names an invalid log: ${cause.message}`, { cause })
    throw cause
  }
  const ok = await verifySignature(publicKey, node.sig, message)
  if (!ok) throw new BadSignatureError(`${cid} is not signed by log ${node.log}`)
}

/** Verifies and decodes an event block (links only; no key needed). */
export function openEvent (block: BlockInput): EventLinks {
  return openEventLinks(block).links
}

/**
 * `openEvent`, for an event block whose binary CID the caller may know (from
 * the node that links it); also gives the binary header and body CIDs when
 * the block was read from its template.
 */
export function openEventLinks (block: BlockInput, cid?: Uint8Array): { readonly links: EventLinks, readonly header?: Uint8Array, readonly body?: Uint8Array } {
  checkLinkedBlock(cid, block.cid, block.bytes, LIMITS.maxEventBlockBytes, 'event')
  const fixed = readEventBytes(block.bytes)
  if (fixed === undefined) return { links: parseEventLinks(decodeBlock(block.bytes, 'event')) }
  return { links: { header: cidBytesToString(fixed.header), body: cidBytesToString(fixed.body) }, header: fixed.header, body: fixed.body }
}

/** Verifies and decrypts a header block with the read key. */
export function openHeader (block: BlockInput, readKey: Uint8Array): EventHeader {
  checkBlock(block.cid, block.bytes, LIMITS.maxHeaderBlockBytes, 'header')
  return decryptHeader(block, readKey)
}

/** Decrypts a header block whose CID and size were already verified. */
export function decryptHeader (block: BlockInput, readKey: Uint8Array): EventHeader {
  const sealed = sealedBytesOf(block.bytes, 'header')
  return openAndRead(readKey, sealed, `header ${block.cid}`, (plaintext) => readHeaderBytes(plaintext) ?? parseEventHeader(decodeBlock(plaintext.slice(), 'header')))
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

/**
 * Verifies a sealed header or body block without a key: CID, size and framing
 * only. `cid` is the block's binary CID when the caller knows it (see `checkLinkedBlock`).
 */
export function checkSealedBlock (block: BlockInput, kind: 'header' | 'body', cid?: Uint8Array): void {
  checkLinkedBlock(cid, block.cid, block.bytes, kind === 'header' ? LIMITS.maxHeaderBlockBytes : LIMITS.maxBodyBlockBytes, kind)
  sealedBytesOf(block.bytes, kind)
}
