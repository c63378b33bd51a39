/**
 * Builds the protocol test vectors of docs/PROTOCOL.md (format 3) from fixed
 * inputs. Randomness is scripted (named byte strings handed out in the order
 * the record builder asks for them) so every output byte is reproducible.
 *
 * Besides the accepted records, `cases` lists batches a receiver must answer
 * in a stated way: each attack on the format (a re-sealed copy, a CID in
 * another base, a small-order key, an own-log dependency, non-canonical
 * CBOR, an extra field, an unknown epoch, a format 1 or 2 record, …) with the outcome every
 * implementation must give each record of the batch.
 */
import { readFileSync } from 'node:fs'
import * as dagCbor from '@ipld/dag-cbor'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import * as cborg from 'cborg'
import { base16 } from 'multiformats/bases/base16'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { open, seal } from '../../src/core/crypto/aead.ts'
import type { RandomSource } from '../../src/core/crypto/random.ts'
import { logIdentityFromSeed, type LogIdentity } from '../../src/core/ids/log-id.ts'
import { epochKeyId } from '../../src/core/acl/epoch-keys.ts'
import { createThreadId, ThreadVariant } from '../../src/core/ids/thread-id.ts'
import { threadIdForGenesis } from '../../src/core/acl/genesis.ts'
import { decodeBlock, encodeBlock, encodeRecordEnvelope, sealedBytesOf } from '../../src/core/log/blocks.ts'
import { createRecord, sealRecordNode, type CreatedRecord } from '../../src/core/log/create-record.ts'
import { signedBytes, type Dependency, type RecordKind } from '../../src/core/log/record-format.ts'
import type { RawBlock } from '../../src/core/storage/interfaces.ts'

const hex = (bytes: Uint8Array): string => base16.baseEncode(bytes)
const fill = (length: number, byte: number): Uint8Array => new Uint8Array(length).fill(byte)
const counting = (length: number, start: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (start + i) & 0xff)

/** A random source that returns the given byte strings in order, checking each length. */
function scripted (values: Uint8Array[]): RandomSource {
  return (length) => {
    const next = values.shift()
    if (next?.length !== length) throw new Error(`vector script expected a ${length}-byte request`)
    return next
  }
}

/** The fixed inputs, as documented in PROTOCOL.md. */
export const VECTOR_INPUTS = {
  genesisNonce: hex(counting(16, 1)),
  x25519: hex(fill(32, 0x25)),
  otherThreadRandom: hex(counting(32, 0x81)),
  seedA: hex(counting(32, 0)),
  seedB: hex(counting(32, 0x40)),
  followKey: hex(fill(32, 0xf0)),
  readKey: hex(fill(32, 0xe0)),
  otherFollowKey: hex(fill(32, 0xf1)),
  contentKeys: 'record i: 32 bytes of 0xc1 + i',
  nonce: 'record i: three 24-byte nonces, in order body, header, record, each 24 copies of 0x01, 0x02, 0x03 plus 0x10 × i; a re-sealed record block: 24 × 0x44',
  time: 1700000000000
} as const

const followKey = fill(32, 0xf0)
const readKey = fill(32, 0xe0)
/** The thread's one epoch (epoch 0, created by log A's genesis). */
const epoch = { keyId: epochKeyId(followKey), followKey, readKey }
/** Another epoch a receiver also holds: for the case of an envelope naming another epoch than its node. */
const otherFollowKey = fill(32, 0xf1)
const otherEpoch = { keyId: epochKeyId(otherFollowKey), followKey: otherFollowKey }
const logA = logIdentityFromSeed(counting(32, 0))
const logB = logIdentityFromSeed(counting(32, 0x40))
const genesisNonce = counting(16, 1)
const thread = threadIdForGenesis(logA.logId, genesisNonce).toString()
const otherThread = createThreadId({ variant: ThreadVariant.AccessControlled, random: scripted([counting(32, 0x81)]) }).toString()

async function build (input: {
  identity: LogIdentity, index: number, payload: unknown, prev: CreatedRecord | null, deps?: Dependency[], thread?: string, kind?: RecordKind
}): Promise<CreatedRecord> {
  const nonce = (n: number): Uint8Array => fill(24, n + 0x10 * input.index)
  return await createRecord({
    thread: input.thread ?? thread,
    identity: input.identity,
    epoch,
    kind: input.kind,
    payload: input.payload,
    prev: input.prev === null ? null : { record: input.prev.record, seq: input.prev.node.seq },
    deps: input.deps,
    time: VECTOR_INPUTS.time + input.index,
    random: scripted([fill(32, 0xc1 + input.index), nonce(1), nonce(2), nonce(3)])
  })
}

function describeRecord (created: CreatedRecord, payload: unknown) {
  const [record, event, header, body] = created.blocks
  return {
    log: created.node.log,
    payload: hex(dagCbor.encode(payload)),
    body: { cid: body.cid, bytes: hex(body.bytes) },
    kind: created.node.kind,
    header: { cid: header.cid, bytes: hex(header.bytes), plaintext: hex(open(created.node.kind === 'acl' ? followKey : readKey, sealedBytesOf(header.bytes, 'header'))) },
    event: { cid: event.cid, bytes: hex(event.bytes) },
    signed: hex(signedBytes(created.node)),
    sig: hex(created.node.sig),
    record: { id: record.cid, keyId: hex(created.node.key), plaintext: hex(sealedNode(record.bytes)), bytes: hex(record.bytes) }
  }
}

/** A record as a receiver gets it, with blocks as hex. */
const wire = (log: string, record: string, blocks: readonly RawBlock[]) =>
  ({ log, record, blocks: blocks.map((b) => ({ cid: b.cid, bytes: hex(b.bytes) })) })
const wireOf = (created: Pick<CreatedRecord, 'record' | 'blocks'>) => wire(logOf(created), created.record, created.blocks)
const logOf = (created: Pick<CreatedRecord, 'blocks'>): string => (dagCbor.decode(sealedNode(created.blocks[0].bytes)) as { log: string }).log
/** The plaintext node inside a record envelope `{ k, s }` sealed with the thread's follow key. */
const sealedNode = (bytes: Uint8Array): Uint8Array => open(followKey, (decodeBlock(bytes) as { s: Uint8Array }).s)

/** The node of `created` as a dag-cbor value, changed by `change`, re-signed by `signer` (the log's own key by default). */
async function resign (created: CreatedRecord, change: (node: Record<string, unknown>) => Record<string, unknown>, signer: LogIdentity = logA) {
  const node = decodeNode(created)
  const { sig: _sig, ...unsigned } = change(node)
  const sig = await signer.signer.sign(dagCbor.encode(unsigned))
  return sealRecordNode({ ...unsigned, sig }, epoch, scripted([fill(24, 0x44)]))
}

/** `created` with a signature of zeros: a new record ID and block. */
function zeroSig (created: CreatedRecord): Pick<CreatedRecord, 'record' | 'blocks'> {
  const { block } = sealRecordNode({ ...decodeNode(created), sig: fill(64, 0) }, epoch, scripted([fill(24, 0x44)]))
  return { record: block.cid, blocks: [block, created.blocks[1], created.blocks[2], created.blocks[3]] }
}

const decodeNode = (created: CreatedRecord): Record<string, unknown> =>
  dagCbor.decode(sealedNode(created.blocks[0].bytes)) as Record<string, unknown>

/** Map entries in the reverse of dag-cbor's order (longer keys first, then bytewise descending). */
function reverseKeyOrder (a: any, b: any): number {
  const x = String(a[0]!.value)
  const y = String(b[0]!.value)
  return y.length - x.length || (y < x ? -1 : y > x ? 1 : 0)
}

/** Computes every vector from the fixed inputs. */
export async function buildProtocolVectors () {
  const raw = createThreadId({ variant: ThreadVariant.Raw, randomLength: 16, random: scripted([counting(16, 1)]) })
  // a1 is the owner's genesis (an ACL event, its header sealed with the follow key); a2 and b1 are data.
  const payloads = {
    a1: { v: 3, changes: [{ type: 'genesis', nonce: genesisNonce, followKeyId: epoch.keyId, x25519: fill(32, 0x25) }] },
    a2: { caption: 'Beach at noon' },
    b1: { comment: 'Lovely' }
  }
  const a1 = await build({ identity: logA, index: 0, payload: payloads.a1, prev: null, kind: 'acl' })
  const a2 = await build({ identity: logA, index: 1, payload: payloads.a2, prev: a1 })
  const b1 = await build({ identity: logB, index: 2, payload: payloads.b1, prev: null, deps: [{ log: logA.logId, record: a1.record, kind: 'reply' }] })
  const rest = (created: CreatedRecord): RawBlock[] => created.blocks.slice(1)

  // A re-sealed copy: the same node under a fresh nonce.
  const resealed = sealRecordNode(decodeNode(a1), epoch, scripted([fill(24, 0x44)])).block
  // The node of a1 sealed under another epoch this receiver also holds, whose key ID the envelope names.
  const otherEnvelope = { cid: a1.record, bytes: encodeRecordEnvelope(otherEpoch.keyId, otherFollowKey, dagCbor.encode(decodeNode(a1)), scripted([fill(24, 0x44)])) }
  // The same node under an epoch the receiver does not hold: it cannot be read yet.
  const unknownKey = fill(32, 0xf2)
  const unknownEpoch = { cid: a1.record, bytes: encodeRecordEnvelope(epochKeyId(unknownKey), unknownKey, dagCbor.encode(decodeNode(a1)), scripted([fill(24, 0x44)])) }
  // A node of format 2 (v: 2, no key or kind) sealed in a format 3 envelope, signed by log A.
  const { key: _key, kind: _kind, ...v2Fields } = decodeNode(a1)
  const v2InEnvelope = await resign(a1, () => ({ ...v2Fields, v: 2 }))
  // A record whose own signature is not valid, followed by a valid record that names it as prev.
  const badSigA1 = zeroSig(a1)
  const afterBadSig = await createRecord({
    thread, identity: logA, epoch, payload: payloads.a2, prev: { record: badSigA1.record, seq: 1 }, time: VECTOR_INPUTS.time + 1,
    random: scripted([fill(32, 0xc2), fill(24, 0x11), fill(24, 0x12), fill(24, 0x13)])
  })
  // The small-order public key (the identity point) as a log, with the signature R = identity, S = 0.
  const identityPoint = Uint8Array.from({ length: 32 }, (_, i) => i === 0 ? 1 : 0)
  const smallOrderLog = peerIdFromPublicKey(publicKeyFromRaw(identityPoint)).toString()
  const smallOrder = sealRecordNode({ ...decodeNode(a1), log: smallOrderLog, sig: Uint8Array.from({ length: 64 }, (_, i) => i === 0 ? 1 : 0) }, epoch, scripted([fill(24, 0x44)]))
  // The node with its map keys in reverse order: the same values, another encoding.
  const reversed = cborg.encode(decodeNode(a1), { ...dagCbor.encodeOptions, mapSorter: reverseKeyOrder })
  const nonCanonical = { cid: CID.createV1(dagCbor.code, await sha256.digest(reversed)).toString(), bytes: encodeRecordEnvelope(epoch.keyId, followKey, reversed, scripted([fill(24, 0x44)])) }
  // The envelope { s, k } with its keys in reverse order: the same value, another encoding.
  const reversedEnvelope = { cid: a1.record, bytes: cborg.encode({ k: epoch.keyId, s: (decodeBlock(a1.blocks[0].bytes) as { s: Uint8Array }).s }, { ...dagCbor.encodeOptions, mapSorter: reverseKeyOrder }) }
  // An event block with a field the format does not have, linked from a validly signed node.
  const eventExtra = encodeBlock({ ...dagCbor.decode(a1.blocks[1].bytes) as object, note: 'x' })
  const withEventExtra = await resign(a1, (n) => ({ ...n, event: eventExtra.link }))
  const v1 = JSON.parse(readFileSync(new URL('../fixtures/protocol-v1.json', import.meta.url), 'utf8')).records.a1
  const v1Blocks = ['record', 'event', 'header', 'body'].map((k) => ({ cid: v1[k].cid, bytes: v1[k].bytes }))
  const v2 = JSON.parse(readFileSync(new URL('../fixtures/protocol-v2.json', import.meta.url), 'utf8')).records.a1
  const v2Blocks = [{ cid: v2.record.id, bytes: v2.record.bytes }, v2.event, v2.header, v2.body].map((b: { cid: string, bytes: string }) => ({ cid: b.cid, bytes: b.bytes }))

  // a2 re-signed with media: one manifest attached, another released (links only: the follow key reads them, the payload stays sealed).
  const manifestA = CID.createV1(dagCbor.code, await sha256.digest(dagCbor.encode({ v: 1, size: 0, chunkSize: 16384, chunks: [] })))
  const manifestB = CID.createV1(dagCbor.code, await sha256.digest(dagCbor.encode({ v: 1, size: 1, chunkSize: 16384, chunks: [] })))
  const withMedia = await resign(a2, (n) => ({ ...n, attachments: [manifestA], releases: [manifestB] }))
  const cases = [
    { name: 'attachments and releases', description: `a2 re-signed with attachments [${manifestA.toString()}] and releases [${manifestB.toString()}]`, held: ['a1'],
      batch: [wire(logA.logId, withMedia.block.cid, [withMedia.block, ...rest(a2)])], outcomes: ['stored'] },
    { name: 'empty attachments', description: 'a2 re-signed with attachments: [] (no media is written by leaving the field out)', held: ['a1'],
      batch: [await resign(a2, (n) => ({ ...n, attachments: [] })).then((s) => wire(logA.logId, s.block.cid, [s.block, ...rest(a2)]))], outcomes: ['MalformedRecordError'] },
    { name: 'attachment twice', description: 'a2 re-signed with the same manifest attached twice', held: ['a1'],
      batch: [await resign(a2, (n) => ({ ...n, attachments: [manifestA, manifestA] })).then((s) => wire(logA.logId, s.block.cid, [s.block, ...rest(a2)]))], outcomes: ['MalformedRecordError'] },
    { name: 'raw attachment', description: 'a2 re-signed with an attachment that is a raw CID, not a manifest (dag-cbor)', held: ['a1'],
      batch: [await resign(a2, (n) => ({ ...n, attachments: [CID.createV1(0x55, manifestA.multihash)] })).then((s) => wire(logA.logId, s.block.cid, [s.block, ...rest(a2)]))], outcomes: ['MalformedRecordError'] },
    { name: 're-sealed copy', description: 'a1 sealed again under another nonce is the same record: a duplicate, and a2 still follows it', held: ['a1'],
      batch: [wire(logA.logId, a1.record, [{ cid: a1.record, bytes: resealed.bytes }, ...rest(a1)]), wireOf(a2)], outcomes: ['duplicate', 'stored'] },
    { name: 're-sealed copy first', description: 'a receiver that gets the re-sealed copy first holds a1 and accepts a2', held: [],
      batch: [wire(logA.logId, a1.record, [{ cid: a1.record, bytes: resealed.bytes }, ...rest(a1)]), wireOf(a2)], outcomes: ['stored', 'stored'] },
    { name: 'record ID in base58btc', description: 'the ID of a1 written in another base', held: [],
      batch: [wire(logA.logId, CID.parse(a1.record).toString(base58btc), [{ cid: CID.parse(a1.record).toString(base58btc), bytes: a1.blocks[0].bytes }, ...rest(a1)])], outcomes: ['BadCidError'] },
    { name: 'event CID in base36', description: 'the event block of a1 offered under its CID in base36', held: [],
      batch: [wire(logA.logId, a1.record, [a1.blocks[0], { cid: CID.parse(a1.blocks[1].cid).toString(base36), bytes: a1.blocks[1].bytes }, ...a1.blocks.slice(2)])], outcomes: ['BadCidError'] },
    { name: 'small-order key', description: 'a log whose public key is the identity point, signature R = identity, S = 0', held: [],
      batch: [wire(smallOrderLog, smallOrder.block.cid, [smallOrder.block, ...rest(a1)])], outcomes: ['MalformedLogIdError'] },
    { name: 'own-log dependency', description: 'a2 signed with a dependency on a1, a record of its own log', held: ['a1'],
      batch: [await resign(a2, (n) => ({ ...n, deps: [{ log: logA.logId, record: CID.parse(a1.record), kind: 'causal' }] })).then((s) => wire(logA.logId, s.block.cid, [s.block, ...rest(a2)]))], outcomes: ['MalformedRecordError'] },
    { name: 'dependency kind over 32 bytes', description: 'b1 with a kind of 17 × "é": 17 UTF-16 units, 34 UTF-8 bytes', held: ['a1'],
      batch: [await resign(b1, (n) => ({ ...n, deps: [{ log: logA.logId, record: CID.parse(a1.record), kind: 'é'.repeat(17) }] }), logB).then((s) => wire(logB.logId, s.block.cid, [s.block, ...rest(b1)]))], outcomes: ['MalformedRecordError'] },
    { name: 'non-canonical node', description: 'a1 node with its map keys in reverse order, named by the hash of those bytes', held: [],
      batch: [wire(logA.logId, nonCanonical.cid, [nonCanonical, ...rest(a1)])], outcomes: ['MalformedRecordError'] },
    { name: 'extra node field', description: 'a1 node with an extra field, signed by log A', held: [],
      batch: [await resign(a1, (n) => ({ ...n, note: 'x' })).then((s) => wire(logA.logId, s.block.cid, [s.block, ...rest(a1)]))], outcomes: ['MalformedRecordError'] },
    { name: 'extra event field', description: 'an event block with an extra field, linked from a node signed by log A', held: [],
      batch: [wire(logA.logId, withEventExtra.block.cid, [withEventExtra.block, eventExtra, ...a1.blocks.slice(2)])], outcomes: ['MalformedRecordError'] },
    { name: 'another thread', description: 'a1 offered in another thread', held: [], thread: otherThread,
      batch: [wireOf(a1)], outcomes: ['MalformedRecordError'] },
    { name: 'format 1', description: 'record a1 of format 1 (its record block a bare sealed byte string)', held: [],
      batch: [{ log: v1.log, record: v1.record.cid, blocks: v1Blocks }], outcomes: ['UnsupportedVersionError'] },
    { name: 'format 2', description: 'record a1 of format 2 (its record block a bare sealed byte string)', held: [],
      batch: [{ log: v2.log, record: v2.record.id, blocks: v2Blocks }], outcomes: ['UnsupportedVersionError'] },
    { name: 'format 2 node in a format 3 envelope', description: 'a node with v: 2 and no key or kind, signed by log A, sealed in a { k, s } envelope', held: [],
      batch: [wire(logA.logId, v2InEnvelope.block.cid, [v2InEnvelope.block, ...rest(a1)])], outcomes: ['UnsupportedVersionError'] },
    { name: 'unknown epoch', description: 'a1 sealed under an epoch whose keys the receiver does not hold', held: [],
      batch: [wire(logA.logId, a1.record, [unknownEpoch, ...rest(a1)])], outcomes: ['UnknownEpochError'] },
    { name: 'envelope names another epoch', description: 'the node of a1 (key: epoch 0) sealed under another epoch the receiver holds, whose key ID the envelope names', held: [],
      batch: [wire(logA.logId, a1.record, [otherEnvelope, ...rest(a1)])], outcomes: ['MalformedRecordError'] },
    { name: 'non-canonical envelope', description: 'the envelope of a1 with its keys in reverse order ({ s, k })', held: [],
      batch: [wire(logA.logId, a1.record, [reversedEnvelope, ...rest(a1)])], outcomes: ['MalformedRecordError'] },
    { name: 'bad signature', description: 'a1 with a signature of zeros, alone in its batch', held: [],
      batch: [wire(logA.logId, badSigA1.record, badSigA1.blocks)], outcomes: ['BadSignatureError'] },
    { name: 'authentic by chain', description: 'the same a1 with a signature of zeros, then a record validly signed after it: the signature of the newest vouches for both', held: [],
      batch: [wire(logA.logId, badSigA1.record, badSigA1.blocks), wireOf(afterBadSig)], outcomes: ['stored', 'stored'] },
    { name: 'newest signature fails', description: 'a1 (validly signed) then a2 with a signature of zeros: a2 is refused, a1 is checked on its own and stored', held: [],
      batch: [wireOf(a1), wireOf({ ...a2, ...zeroSig(a2) })],
      outcomes: ['stored', 'BadSignatureError'] },
    { name: 'missing prev', description: 'a2 before a1', held: [], batch: [wireOf(a2)], outcomes: ['MissingDependencyError'] }
  ]
  return {
    inputs: VECTOR_INPUTS,
    thread,
    otherThread,
    threadIds: { genesis: thread, raw16: raw.toString() },
    epoch: { keyId: hex(epoch.keyId), otherKeyId: hex(otherEpoch.keyId) },
    records: { a1: describeRecord(a1, payloads.a1), a2: describeRecord(a2, payloads.a2), b1: describeRecord(b1, payloads.b1) },
    cases
  }
}
