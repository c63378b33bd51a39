/**
 * Record creation and verification rates beside the raw rate of their
 * dominant primitive (WebCrypto Ed25519), measured in the same run at the same
 * concurrency. Creating is sequential (each record links the one before);
 * verifying a received batch overlaps, 32 in flight.
 */
import { generateSymmetricKey } from '../src/core/crypto/aead.ts'
import { createSigner, verifySignature } from '../src/core/crypto/ed25519.ts'
import { generateLogIdentity } from '../src/core/ids/log-id.ts'
import { createRecord, sealEvent, signRecord, type CreatedRecord } from '../src/core/log/create-record.ts'
import { decryptBody, decryptHeader } from '../src/core/log/open-record.ts'
import { verifyIncomingRecord } from '../src/core/log/verify-incoming.ts'
import type { CID } from 'multiformats/cid'
import { rate, report } from './lib.ts'

const COUNT = 4000
const IN_FLIGHT = 32

/** Runs the log record benchmark; returns whether every goal was met. */
export async function benchLogRecords (): Promise<boolean> {
  const identity = generateLogIdentity()
  const followKey = generateSymmetricKey()
  const readKey = generateSymmetricKey()
  const body = { photo: new Uint8Array(1024).fill(7) }
  const message = new Uint8Array(250).fill(3) // about the size of a signed record node
  const signer = createSigner(identity.seed)
  await signer.sign(message) // import the key before timing

  const created: CreatedRecord[] = []
  let prev: { record: string, seq: number, link: CID } | null = null
  // Warm-up of both paths, then interleaved measurements so machine noise hits both alike.
  await rate(200, 1, async () => await signer.sign(message))
  await rate(200, 1, async () => await createRecord({ identity, followKey, readKey, payload: body, prev: null }))
  const signRate = await rate(COUNT, 1, async () => await signer.sign(message))
  // As the log writer does: the next event is sealed while the current node is being signed.
  let next = sealEvent({ readKey, payload: body })
  const createRate = await rate(COUNT, 1, async () => {
    const signing = signRecord({ identity, followKey, event: next, prev })
    next = sealEvent({ readKey, payload: body })
    const record = await signing
    prev = { record: record.record, seq: record.node.seq, link: record.link }
    created.push(record)
  })

  const signature = await signer.sign(message)
  const verifyRate = await rate(COUNT, IN_FLIGHT, async () => await verifySignature(identity.publicKey, signature, message))
  const openRate = await rate(COUNT, IN_FLIGHT, async (i) => {
    const record = created[i]!
    const verified = await verifyIncomingRecord({ log: identity.logId, followKey, record: record.record, blocks: record.blocks })
    const header = decryptHeader(verified.blocks[2]!, readKey)
    decryptBody(verified.blocks[3]!, header.key)
  })

  console.log(`\nLog records (1 KiB body, ${COUNT} records, Node ${process.version})`)
  const a = report('create record (sequential)', createRate, 'Ed25519 sign, WebCrypto (sequential)', signRate, 0.5)
  const b = report(`verify + open record (${IN_FLIGHT} in flight)`, openRate, `Ed25519 verify, WebCrypto (${IN_FLIGHT} in flight)`, verifyRate, 0.5)
  return a && b
}
