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
import { epochKeyId } from '../../../src/core/acl/epoch-keys.ts'
import { createThreadId, parseThreadId, ThreadVariant } from '../../../src/core/ids/thread-id.ts'
import { createKeyring } from '../../../src/core/log/keyring.ts'
import { createRecord } from '../../../src/core/log/create-record.ts'
import { createRecordStore } from '../../../src/core/log/record-store.ts'
import { createMemoryBackend } from '../../../src/core/storage/memory.ts'
import { createFollowRequest } from '../../../src/core/sync/follow-request.ts'
import { createSyncHandler } from '../../../src/core/sync/handler.ts'
import { createInviteLink, parseInviteLink } from '../../../src/core/sync/invite.ts'
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
  it('an invite link naming a bad inviting log is refused with InvalidInviteError caused by MalformedLogIdError, and stores nothing', async () => {
    const backend = createMemoryBackend()
    const db = openDatabase({ backend, random: deterministicRandom('invite-bad-log') })
    const thread = await db.createThread()
    const invite = await thread.invite({ role: 'write' })
    for (const [what, log] of badLogIds) {
      const link = createInviteLink('http://127.0.0.1/', { ...invite, via: { ...invite.via, log } })
      let error: unknown
      try { parseInviteLink(link) } catch (e) { error = e }
      expect(causeNames(error).slice(0, 2), what).toEqual(['InvalidInviteError', 'MalformedLogIdError'])
    }
    expect(parseInviteLink(createInviteLink('http://127.0.0.1/', invite)).via).toEqual(invite.via)
  })

  it('openThread finds a thread by an ID typed in another multibase, under its canonical ID', async () => {
    const db = openDatabase({ backend: createMemoryBackend(), random: deterministicRandom('open-base58') })
    const created = await db.createThread()
    const typed = base58btc.encode(parseThreadId(created.id).bytes)
    expect((await db.openThread(typed)).id).toBe(created.id)
    expect((await db.listThreads()).map((t) => t.id)).toEqual([created.id])
  })

  it('openThread says MalformedThreadIdError for a malformed ID and ThreadNotFoundError only for a valid unknown one', async () => {
    const db = openDatabase({ backend: createMemoryBackend() })
    expect((await rejection(db.openThread('not-a-thread'))).name).toBe('MalformedThreadIdError')
    expect((await rejection(db.openThread(''))).name).toBe('MalformedThreadIdError')
    expect((await rejection(db.openThread(createThreadId().toString()))).name).toBe('ThreadNotFoundError')
  })

  it('an invite link with a non-canonical thread ID is InvalidInviteError caused by MalformedThreadIdError', () => {
    const thread = createThreadId({ variant: ThreadVariant.AccessControlled, random: deterministicRandom('invite') })
    const value = { v: 3, thread: base58btc.encode(thread.bytes), addrs: [], role: 'write', epochs: [{ epoch: 0, ...keys }], secret: keys.readKey, via: { log: valid.logId, record: 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' } }
    let error: unknown
    try { parseInviteLink(`#invite=${base64url.baseEncode(dagCbor.encode(value))}`) } catch (e) { error = e }
    expect(causeNames(error)).toEqual(['InvalidInviteError', 'MalformedThreadIdError'])
  })

  it('a sync handler answers a follow request signed by a bad log, and a non-canonical thread ID, with the named error', async () => {
    const backend = createMemoryBackend()
    const records = createRecordStore({ backend })
    const handle = createSyncHandler(createStoreReplica({ records, keys: createKeyBook(backend.meta), follow: async () => {} }))
    const thread = createThreadId({ variant: ThreadVariant.AccessControlled, random: deterministicRandom('handler') })
    const before = await snapshotMeta(backend)
    const request = await createFollowRequest({ thread: thread.toString(), followKeys: [keys.followKey], member: valid })
    for (const [what, log] of badLogIds) {
      const { response, abusive } = await handle({ ...request, by: log })
      expect(response, what).toMatchObject({ type: 'error', name: 'MalformedLogIdError' })
      expect(abusive).toBe(true)
    }
    const { response } = await handle({ v: 2, type: 'heads', thread: base58btc.encode(thread.bytes) })
    expect(response).toMatchObject({ type: 'error', name: 'MalformedThreadIdError' })
    expect((response as { message: string }).message).toMatch(/not the canonical base32 form/)
    expect(await snapshotMeta(backend)).toEqual(before)
  })

  it('a record of a small-order log, "signed" with R = identity and S = 0, is refused for its log ID and not stored', async () => {
    const random = deterministicRandom('small-order-record')
    const thread = createThreadId({ random }).toString()
    const followKey = generateSymmetricKey(random)
    const epoch = { keyId: epochKeyId(followKey), followKey, readKey: generateSymmetricKey(random) }
    const created = await createRecord({ thread, identity: smallOrderIdentity, epoch, payload: { owner: 'nobody' }, prev: null, random })
    const backend = createMemoryBackend()
    const store = createRecordStore({ backend })
    const before = await snapshotMeta(backend)
    const error = await rejection(store.ingest({ thread, log: smallOrderLog, keys: createKeyring([epoch]), record: created.record, blocks: created.blocks }))
    expect(causeNames(error)).toContain('MalformedLogIdError')
    expect(error.message).toMatch(/small-order point/)
    expect(await store.heads(thread)).toEqual([])
    expect(await snapshotMeta(backend)).toEqual(before)
  })
})
