/**
 * Builds the protocol test vectors of docs/PROTOCOL.md from fixed inputs.
 * Randomness is scripted (named byte strings handed out in the order the
 * record builder asks for them) so every output byte is reproducible.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { base16 } from 'multiformats/bases/base16'
import { open } from '../../src/core/crypto/aead.ts'
import type { RandomSource } from '../../src/core/crypto/random.ts'
import { logIdentityFromSeed } from '../../src/core/ids/log-id.ts'
import { createThreadId, ThreadVariant } from '../../src/core/ids/thread-id.ts'
import { decodeSealedBlock } from '../../src/core/log/blocks.ts'
import { createRecord } from '../../src/core/log/create-record.ts'
import { signedPart, type Dependency } from '../../src/core/log/record-format.ts'

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
  threadRandom: hex(counting(32, 1)),
  seedA: hex(counting(32, 0)),
  seedB: hex(counting(32, 0x40)),
  followKey: hex(fill(32, 0xf0)),
  readKey: hex(fill(32, 0xe0)),
  contentKeys: [hex(fill(32, 0xc1)), hex(fill(32, 0xc2)), hex(fill(32, 0xc3))],
  nonce: 'three 24-byte nonces per record, in order body, header, record: bytes 0x01…, 0x02…, 0x03… (each 24 copies of one byte, plus 0x10 × record index)',
  time: 1700000000000
} as const

async function vectorRecord (input: {
  seed: Uint8Array, index: number, payload: unknown, prev: { record: string, seq: number } | null, deps?: Dependency[]
}) {
  const identity = logIdentityFromSeed(input.seed)
  const followKey = fill(32, 0xf0)
  const readKey = fill(32, 0xe0)
  const contentKey = fill(32, 0xc1 + input.index)
  const nonce = (n: number): Uint8Array => fill(24, n + 0x10 * input.index)
  const created = await createRecord({
    identity, followKey, readKey, payload: input.payload, prev: input.prev, deps: input.deps,
    time: VECTOR_INPUTS.time + input.index, random: scripted([contentKey, nonce(1), nonce(2), nonce(3)])
  })
  const [record, event, header, body] = created.blocks
  const signed = dagCbor.encode(signedPart(created.node))
  return {
    log: identity.logId,
    payload: hex(dagCbor.encode(input.payload)),
    body: { cid: body.cid, bytes: hex(body.bytes) },
    header: { cid: header.cid, bytes: hex(header.bytes), plaintext: hex(open(readKey, decodeSealedBlock(header.bytes, 'header'))) },
    event: { cid: event.cid, bytes: hex(event.bytes) },
    signed: hex(signed),
    sig: hex(created.node.sig),
    record: { cid: record.cid, bytes: hex(record.bytes), plaintext: hex(open(followKey, decodeSealedBlock(record.bytes, 'record'))) }
  }
}

/** Computes every vector from the fixed inputs. */
export async function buildProtocolVectors () {
  const threadId = createThreadId({ variant: ThreadVariant.Raw, random: scripted([counting(32, 1)]) })
  const accessControlled = createThreadId({ variant: ThreadVariant.AccessControlled, randomLength: 16, random: scripted([counting(16, 1)]) })
  const a1 = await vectorRecord({ seed: counting(32, 0), index: 0, payload: { album: 'Summer', caption: 'Beach at dawn' }, prev: null })
  const a2 = await vectorRecord({ seed: counting(32, 0), index: 1, payload: { caption: 'Beach at noon' }, prev: { record: a1.record.cid, seq: 1 } })
  const b1 = await vectorRecord({ seed: counting(32, 0x40), index: 2, payload: { comment: 'Lovely' }, prev: null, deps: [{ log: a1.log, record: a1.record.cid, kind: 'reply' }] })
  return {
    inputs: VECTOR_INPUTS,
    threadIds: { raw32: threadId.toString(), accessControlled16: accessControlled.toString() },
    records: { a1, a2, b1 }
  }
}
