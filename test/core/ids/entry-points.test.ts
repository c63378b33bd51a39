/**
 * Every entry point that takes a log ID or thread ID from outside applies the
 * identifier rules: bad log IDs are MalformedLogIdError and change nothing;
 * thread IDs are kept only in their canonical spelling.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { hexToBytes } from '@noble/curves/utils.js'
import { base58btc } from 'multiformats/bases/base58'
import { base64url } from 'multiformats/bases/base64'
import { describe, expect, it } from 'vitest'
import { generateSymmetricKey } from '../../../src/core/crypto/aead.ts'
import { deterministicRandom } from '../../../src/core/crypto/random.ts'
import { openDatabase } from '../../../src/core/db/index.ts'
import { generateLogIdentity, type LogIdentity } from '../../../src/core/ids/log-id.ts'
import { createThreadId } from '../../../src/core/ids/thread-id.ts'
import { createRecord } from '../../../src/core/log/create-record.ts'
import { createRecordStore } from '../../../src/core/log/record-store.ts'
import { createMemoryBackend } from '../../../src/core/storage/memory.ts'
import { createFollowRequest } from '../../../src/core/sync/follow-request.ts'
import { createSyncHandler } from '../../../src/core/sync/handler.ts'
import { createInviteLink, createJoinAnnouncement, parseInviteLink, verifyJoinAnnouncement } from '../../../src/core/sync/invite.ts'
import { createStoreReplica } from '../../../src/core/sync/replica.ts'
import { createKeyBook } from '../../../src/core/storage/key-book.ts'
import { snapshotMeta } from '../../helpers/log-fixture.ts'

/** A peer ID text claiming an Ed25519 key of any bytes. */
const claimingKey = (raw: Uint8Array): string => base58btc.baseEncode(new Uint8Array([0x00, raw.length + 4, 0x08, 0x01, 0x12, raw.length, ...raw]))
const identityPoint = hexToBytes(ED25519_TORSION_SUBGROUP[0]!)
/** The log "owned" by the identity point: with R = identity and S = 0, WebCrypto alone accepts its signature on anything. */
const smallOrderLog = claimingKey(identityPoint)
const forgedSignature = new Uint8Array([...identityPoint, ...new Uint8Array(32)])
const smallOrderIdentity: LogIdentity = {
  logId: smallOrderLog,
  publicKey: identityPoint,
  seed: new Uint8Array(32),
  signer: { publicKey: identityPoint, sign: async () => forgedSignature }
}

const valid = generateLogIdentity(deterministicRandom('entry-valid'))
const badLogIds: Array<[string, string]> = [
  ['an empty log ID', ''],
  ['a CIDv1 spelling', 'bafzaajaiaejcb2sknrr6fhcsbk7pkud3cmxml6mvi53k5pv6pojeehxknekenurm'],
  ['a secp256k1 peer ID', '16Uiu2HAm1G7VSPBTXZQM2qhyuXu4arUdXFetbiXSKMXUz1Q939MG'],
  ['a 5-byte key', claimingKey(new Uint8Array(5).fill(1))],
  ['a small-order key', smallOrderLog]
]
const keys = { followKey: new Uint8Array(32).fill(1), readKey: new Uint8Array(32).fill(2) }

async function rejection (promise: Promise<unknown>): Promise<Error> {
  try { await promise } catch (error) { return error as Error }
  throw new Error('expected a refusal')
}

/** The names of an error and its causes, outermost first. */
function causeNames (error: unknown): string[] {
  const names: string[] = []
  for (let e = error as Error | undefined; e instanceof Error; e = e.cause as Error | undefined) names.push(e.name)
  return names
}

describe('identifier rules at entry points', () => {
  it('addLog refuses each bad log ID with MalformedLogIdError and stores nothing', async () => {
    const backend = createMemoryBackend()
    const db = openDatabase({ backend, random: deterministicRandom('add-log') })
    const thread = await db.createThread()
    const before = await snapshotMeta(backend)
    for (const [what, log] of badLogIds) {
      expect((await rejection(thread.addLog({ log, ...keys }))).name, what).toBe('MalformedLogIdError')
    }
    expect(await snapshotMeta(backend)).toEqual(before)
    await thread.addLog({ log: valid.logId, ...keys })
    expect((await thread.invite([])).logs.map((g) => g.log)).toContain(valid.logId)
  })

  it('joinThread refuses a bad log grant before anything is stored', async () => {
    const backend = createMemoryBackend()
    const db = openDatabase({ backend })
    const id = createThreadId({ random: deterministicRandom('join-bad') }).toString()
    for (const [what, log] of badLogIds) {
      expect((await rejection(db.joinThread({ id, logs: [{ log: valid.logId, ...keys }, { log, ...keys }] }))).name, what).toBe('MalformedLogIdError')
    }
    expect(await db.listThreads()).toEqual([])
    expect(await snapshotMeta(backend)).toEqual([])
  })

  it('joinThread keeps a thread typed in another multibase under its canonical ID, and openThread finds it by either spelling', async () => {
    const db = openDatabase({ backend: createMemoryBackend(), random: deterministicRandom('join-base58') })
    const id = createThreadId({ random: deterministicRandom('join-id') })
    const typed = base58btc.encode(id.bytes)
    const joined = await db.joinThread({ id: typed, logs: [{ log: valid.logId, ...keys }] })
    expect(joined.id).toBe(id.toString())
    expect((await db.listThreads()).map((t) => t.id)).toEqual([id.toString()])
    expect((await db.openThread(typed)).id).toBe(id.toString())
    expect((await db.openThread(id.toString())).logId).toBe(joined.logId)
  })

  it('openThread says MalformedThreadIdError for a malformed ID and ThreadNotFoundError only for a valid unknown one', async () => {
    const db = openDatabase({ backend: createMemoryBackend() })
    expect((await rejection(db.openThread('not-a-thread'))).name).toBe('MalformedThreadIdError')
    expect((await rejection(db.openThread(''))).name).toBe('MalformedThreadIdError')
    expect((await rejection(db.openThread(createThreadId().toString()))).name).toBe('ThreadNotFoundError')
  })

  it('an invite link naming a bad log is refused, and one with a non-canonical thread ID is InvalidInviteError', () => {
    const thread = createThreadId({ random: deterministicRandom('invite') })
    for (const [what, log] of badLogIds) {
      const link = createInviteLink('http://127.0.0.1/', { thread: thread.toString(), addrs: [], logs: [{ log, ...keys }] })
      expect(() => parseInviteLink(link), what).toThrow(expect.objectContaining({ name: 'MalformedLogIdError' }))
    }
    const value = { v: 1, thread: base58btc.encode(thread.bytes), addrs: [], logs: [{ log: valid.logId, ...keys }] }
    let error: unknown
    try { parseInviteLink(`#invite=${base64url.baseEncode(dagCbor.encode(value))}`) } catch (e) { error = e }
    expect(causeNames(error)).toEqual(['InvalidInviteError', 'MalformedThreadIdError'])
  })

  it('a sync handler answers a follow request granting a bad log, an announcement from or via a bad log, and a non-canonical thread ID with the named error', async () => {
    const backend = createMemoryBackend()
    const records = createRecordStore({ backend })
    const handle = createSyncHandler(createStoreReplica({ records, keys: createKeyBook(backend.meta), meta: backend.meta, follow: async () => {} }))
    const thread = createThreadId({ random: deterministicRandom('handler') })
    const before = await snapshotMeta(backend)
    for (const [what, log] of badLogIds) {
      const request = await createFollowRequest(thread.toString(), [{ log: valid.logId, followKey: keys.followKey }, { log, followKey: keys.followKey }], valid)
      const { response, abusive } = await handle(request)
      expect(response, what).toMatchObject({ type: 'error', name: 'MalformedLogIdError' })
      expect(abusive).toBe(true)
    }
    const announcement = await createJoinAnnouncement(thread.toString(), valid, { log: valid.logId, ...keys }, { log: smallOrderLog, ...keys })
    expect((await handle({ v: 2, type: 'announce', thread: thread.toString(), announcement })).response).toMatchObject({ type: 'error', name: 'MalformedLogIdError' })
    const forged = { log: smallOrderLog, via: valid.logId, sealed: new Uint8Array(40), sig: forgedSignature }
    expect((await rejection(verifyJoinAnnouncement(thread.toString(), forged))).name).toBe('MalformedLogIdError')
    expect((await handle({ v: 2, type: 'announce', thread: thread.toString(), announcement: forged })).response).toMatchObject({ type: 'error', name: 'MalformedLogIdError' })
    const { response } = await handle({ v: 2, type: 'heads', thread: base58btc.encode(thread.bytes) })
    expect(response).toMatchObject({ type: 'error', name: 'MalformedThreadIdError' })
    expect((response as { message: string }).message).toMatch(/not the canonical base32 form/)
    expect(await snapshotMeta(backend)).toEqual(before)
  })

  it('a record of a small-order log, "signed" with R = identity and S = 0, is refused for its log ID and not stored', async () => {
    const random = deterministicRandom('small-order-record')
    const thread = createThreadId({ random }).toString()
    const followKey = generateSymmetricKey(random)
    const created = await createRecord({ thread, identity: smallOrderIdentity, followKey, readKey: generateSymmetricKey(random), payload: { owner: 'nobody' }, prev: null, random })
    const backend = createMemoryBackend()
    const store = createRecordStore({ backend })
    const before = await snapshotMeta(backend)
    const error = await rejection(store.ingest({ thread, log: smallOrderLog, followKey, record: created.record, blocks: created.blocks }))
    expect(causeNames(error)).toContain('MalformedLogIdError')
    expect(error.message).toMatch(/small-order point/)
    expect(await store.heads(thread)).toEqual([])
    expect(await snapshotMeta(backend)).toEqual(before)
  })
})
