/**
 * Builds one record: body sealed with a fresh content key, header (time and
 * content key) sealed with the log's read key, the event linking both, and the
 * signed record node sealed with the follow key. Pure: it stores nothing.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { generateSymmetricKey, seal } from '../crypto/aead.ts'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { MalformedRecordError, TooLargeError } from '../errors.ts'
import type { LogIdentity } from '../ids/log-id.ts'
import type { RawBlock } from '../storage/interfaces.ts'
import { encodeBlock } from './blocks.ts'
import { LIMITS, RECORD_FORMAT_VERSION, signedPart, type Dependency, type RecordNode } from './record-format.ts'

/** Where a new record goes in its log: after `prev`, or first when null. */
export interface LogPosition {
  readonly record: string
  readonly seq: number
}

/** Everything needed to create a record. */
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

/** A created record: its CID, decrypted node, content key and all four blocks. */
export interface CreatedRecord {
  readonly record: string
  readonly node: RecordNode
  readonly contentKey: Uint8Array
  /** Record, event, header and body blocks, in that order. */
  readonly blocks: readonly [RawBlock, RawBlock, RawBlock, RawBlock]
}

/** Encrypts, links and signs one event into a record of `identity`'s log. */
export async function createRecord (input: CreateRecordInput): Promise<CreatedRecord> {
  const random = input.random ?? secureRandom
  const deps = input.deps ?? []
  if (deps.length > LIMITS.maxDependencies) throw new TooLargeError(`${deps.length} dependencies; at most ${LIMITS.maxDependencies} are allowed`)
  for (const dep of deps) {
    if (dep.log === input.identity.logId) throw new MalformedRecordError('a dependency on the same log is expressed by prev, not deps')
  }
  let plaintext: Uint8Array
  try {
    plaintext = dagCbor.encode(input.payload)
  } catch (cause) {
    throw new MalformedRecordError('payload cannot be encoded as dag-cbor', { cause })
  }
  if (plaintext.length > LIMITS.maxPayloadBytes) throw new TooLargeError(`payload is ${plaintext.length} bytes; the limit is ${LIMITS.maxPayloadBytes}`)

  const contentKey = generateSymmetricKey(random)
  const body = encodeBlock(seal(contentKey, plaintext, random))
  const header = encodeBlock(seal(input.readKey, dagCbor.encode({ v: RECORD_FORMAT_VERSION, time: input.time ?? Date.now(), key: contentKey }), random))
  const event = encodeBlock({ v: RECORD_FORMAT_VERSION, header: CID.parse(header.cid), body: CID.parse(body.cid) })

  const unsigned = {
    v: RECORD_FORMAT_VERSION,
    log: input.identity.logId,
    seq: input.prev === null ? 1 : input.prev.seq + 1,
    event: event.cid,
    prev: input.prev?.record ?? null,
    deps: deps.map((d) => ({ log: d.log, record: d.record, kind: d.kind }))
  }
  const signed = signedPart(unsigned)
  const sig = await input.identity.signer.sign(dagCbor.encode(signed))
  const record = encodeBlock(seal(input.followKey, dagCbor.encode({ ...signed, sig }), random))
  return { record: record.cid, node: { ...unsigned, sig }, contentKey, blocks: [record, event, header, body] }
}
