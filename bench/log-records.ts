/**
 * Record creation and verification rates beside the raw rate of their
 * dominant primitive (WebCrypto Ed25519), measured in the same run at the same
 * concurrency. Creating is sequential (each record links the one before);
 * verifying a received batch overlaps, 32 in flight.
 *
 * Node's WebCrypto runs a good deal of JavaScript per call (algorithm
 * normalisation, WebIDL conversions), which takes thousands of calls to be
 * optimised: a baseline timed before that is several times slower than a warm
 * one, and flatters the ratio. So every path is warmed up for as long first,
 * then each rate is measured beside its baseline in several short rounds.
 */
import { generateSymmetricKey } from '../src/core/crypto/aead.ts'
import { createSigner, verifySignature } from '../src/core/crypto/ed25519.ts'
import { epochKeyId } from '../src/core/acl/epoch-keys.ts'
import { createThreadId } from '../src/core/ids/thread-id.ts'
import { createKeyring } from '../src/core/log/keyring.ts'
import { generateLogIdentity } from '../src/core/ids/log-id.ts'
import { sealEvent, signRecord, type CreatedRecord, type LogPosition } from '../src/core/log/create-record.ts'
import { decryptBody, decryptHeader } from '../src/core/log/open-record.ts'
import { verifyIncomingBatch, verifyIncomingRecord } from '../src/core/log/verify-incoming.ts'
import { rate, reportRounds } from './lib.ts'

const WARM_UP = 8000
const ROUNDS = 7
const COUNT = 2000
const IN_FLIGHT = 32

/** Runs the log record benchmark; returns whether every goal was met. */
export async function benchLogRecords (): Promise<boolean> {
  const identity = generateLogIdentity()
  const thread = createThreadId().toString()
  const followKey = generateSymmetricKey()
  const readKey = generateSymmetricKey()
  const epoch = { keyId: epochKeyId(followKey), followKey, readKey }
  const keys = createKeyring([epoch])
  const body = { photo: new Uint8Array(1024).fill(7) }
  const message = new Uint8Array(250).fill(3) // about the size of a signed record node
  const signer = createSigner(identity.seed)
  const signature = await signer.sign(message) // also imports the key before timing

  let created: CreatedRecord[] = []
  let prev: LogPosition | null = null
  // As the log writer does: the next event is sealed while the current node is being signed.
  let next = sealEvent({ headerKey: readKey, payload: body })
  const create = async (): Promise<void> => {
    const signing = signRecord({ thread, identity, epoch, kind: 'data', event: next, prev })
    next = sealEvent({ headerKey: readKey, payload: body })
    const record = await signing
    prev = { record: record.record, seq: record.node.seq, link: record.link }
    created.push(record)
  }
  const open = async (i: number): Promise<void> => {
    const record = created[i]!
    const verified = await verifyIncomingRecord(thread, { log: identity.logId, keys, record: record.record, blocks: record.blocks })
    const header = decryptHeader(verified.blocks[2]!, readKey)
    decryptBody(verified.blocks[3]!, header.key)
  }
  // As a pull receives them: batches of 512 records of one log, authenticated by chain, then opened.
  const BATCH = 512
  const openBatch = async (i: number): Promise<void> => {
    const batch = created.slice(i * BATCH, (i + 1) * BATCH)
    const verified = await verifyIncomingBatch(thread, batch.map((record) => ({ log: identity.logId, keys, record: record.record, blocks: record.blocks })))
    for (const v of verified) {
      if (v instanceof Error) throw v
      decryptBody(v.blocks[3]!, decryptHeader(v.blocks[2]!, readKey).key)
    }
  }
  const sign = async (): Promise<unknown> => await signer.sign(message)
  const verify = async (): Promise<unknown> => await verifySignature(identity.publicKey, signature, message)

  await rate(WARM_UP, 1, sign)
  await rate(WARM_UP, 1, create)
  await rate(WARM_UP, IN_FLIGHT, verify)
  await rate(WARM_UP, IN_FLIGHT, open)
  await rate(Math.floor(created.length / BATCH), 1, openBatch)
  const rates = { sign: [] as number[], create: [] as number[], verify: [] as number[], open: [] as number[], batch: [] as number[] }
  for (let round = 0; round < ROUNDS; round++) {
    created = []
    // Alternate which side goes first, so neither always runs just after the other's garbage.
    const first = round % 2 === 0
    if (first) rates.sign.push(await rate(COUNT, 1, sign))
    rates.create.push(await rate(COUNT, 1, create))
    if (!first) rates.sign.push(await rate(COUNT, 1, sign))
    if (first) rates.verify.push(await rate(COUNT, IN_FLIGHT, verify))
    rates.open.push(await rate(COUNT, IN_FLIGHT, open))
    rates.batch.push(await rate(Math.floor(COUNT / BATCH), 1, openBatch) * BATCH)
    if (!first) rates.verify.push(await rate(COUNT, IN_FLIGHT, verify))
  }

  console.log(`\nLog records (1 KiB body, ${ROUNDS} rounds of ${COUNT} records after ${WARM_UP} to warm up, Node ${process.version})`)
  const a = reportRounds('create record (sequential)', rates.create, 'Ed25519 sign, WebCrypto (sequential)', rates.sign, 0.5)
  const b = reportRounds(`verify + open record (${IN_FLIGHT} in flight)`, rates.open, `Ed25519 verify, WebCrypto (${IN_FLIGHT} in flight)`, rates.verify, 0.5)
  reportRounds(`verify + open, batches of ${BATCH} by chain`, rates.batch, `Ed25519 verify, WebCrypto (${IN_FLIGHT} in flight)`, rates.verify, 0)
  return a && b
}
