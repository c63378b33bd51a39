/**
 * The attacks on the log protocol (format 3), each tried against a real
 * follower process over libp2p and over HTTP: a re-sealed copy of a
 * writer's record, a record ID spelled in another base, a small-order key, a
 * record moved to a thread of the attacker's own sealed with the same epoch
 * keys, a writer's non-canonical or extra-field records, and a payload that
 * is not a database event. After each, the
 * honest writer's next records are still accepted by the follower and by
 * another member, and the attacker, not the honest peer, is the one refused
 * (and, over libp2p, disconnected).
 */
import * as dagCbor from '@ipld/dag-cbor'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { startSyncPeer, type SyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { open } from '../../src/core/crypto/aead.ts'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import { threadIdForGenesis } from '../../src/core/acl/genesis.ts'
import { decodeBlock } from '../../src/core/log/blocks.ts'
import { createRecord, sealRecordNode } from '../../src/core/log/create-record.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread, type SyncTransport } from '../../src/core/sync/engine.ts'
import { createFollowRequest } from '../../src/core/sync/follow-request.ts'
import { createJoinChange } from '../../src/core/sync/invite.ts'
import type { SyncRequest, SyncResponse, RecordEnvelope } from '../../src/core/sync/messages.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'

type Kind = 'libp2p' | 'http'

/** A party that talks to the follower: its transport, and over libp2p whether it is still connected. */
interface Party {
  readonly transport: SyncTransport
  readonly connected: () => boolean
}

async function party (kind: Kind, follower: FollowerProcess, cleanup: (step: () => Promise<unknown>) => void): Promise<Party> {
  if (kind === 'http') return { transport: httpSyncTransport(follower.httpUrl), connected: () => true }
  const peer: SyncPeer = await startSyncPeer()
  cleanup(async () => await peer.stop())
  const followerPeer = follower.multiaddr.split('/p2p/').pop()!
  return { transport: peer.transportTo(follower.multiaddr), connected: () => peer.node.getConnections().some((c) => c.remotePeer.toString() === followerPeer) }
}

const request = async (p: Party, message: SyncRequest): Promise<SyncResponse> => await p.transport.request(message)
const push = async (p: Party, thread: string, records: RecordEnvelope[]): Promise<SyncResponse> => await request(p, { v: 2, type: 'push', thread, records })
const heads = async (p: Party, thread: string): Promise<SyncResponse> => await request(p, { v: 2, type: 'heads', thread })

/** The decrypted node of a wire record, sealed with `followKey` in its `{ k, s }` envelope. */
const nodeOf = (record: RecordEnvelope, followKey: Uint8Array): Record<string, unknown> =>
  dagCbor.decode(open(followKey, (decodeBlock(record.blocks[0]!.bytes) as { s: Uint8Array }).s)) as Record<string, unknown>

/** The newest record of a thread's own log, as a peer would receive it. */
async function newest (thread: ThreadDatabase): Promise<RecordEnvelope> {
  const own = (await thread.exportRecords()).filter((r) => r.log === thread.logId)
  return own[own.length - 1]!
}

describe.each<Kind>(['libp2p', 'http'])('attacks on the log protocol, against a real follower over %s', (kind) => {
  const cleanup = cleanupAfterAll()

  it('leave the honest writer\'s log accepted everywhere and refuse only the attacker', { timeout: 180_000 }, async () => {
    const follower = await startFollowerProcess(await tempDir('threads-attacks-', cleanup))
    cleanup(async () => await follower.stop())
    const alice = await party(kind, follower, cleanup)
    const mallory = await party(kind, follower, cleanup)
    const bobParty = await party(kind, follower, cleanup)

    const aliceDb = openDatabase({ backend: createMemoryBackend() })
    const thread = await aliceDb.createThread({ name: 'Trip' })
    const photos = thread.collection('photos')
    expect((await request(alice, await thread.followRequest())).type).toBe('following')
    await photos.create({ _id: 'p1', title: 'one' })
    const sync = async (db: ThreadDatabase, p: Party) => await syncThread({ thread: db.id, replica: (db === thread ? aliceDb : bobDb).syncReplica(), transport: p.transport })
    // Bob is a member; the one invite Mallory's second log joins through (so she holds the epoch keys, as any member does).
    const bobDb = openDatabase({ backend: createMemoryBackend() })
    const bob = await bobDb.acceptInvite(await thread.invite({ role: 'write' }))
    const malInvite = await thread.invite({ role: 'write' })
    const epoch = { ...malInvite.epochs[0]!, readKey: malInvite.epochs[0]!.readKey! }
    expect((await sync(thread, alice)).refused).toEqual([])
    const expectHonestWriterAccepted = async (title: string): Promise<void> => {
      await photos.create({ _id: title, title })
      const result = await sync(thread, alice)
      expect(result.refused).toEqual([])
      expect(alice.connected()).toBe(true)
      await sync(bob, bobParty)
      expect(bob.collection('photos').find({ _id: title })[0]?.title).toBe(title)
    }

    // 1. A re-sealed copy of Alice's next record, pushed first by someone holding the follow key, is her record.
    await photos.create({ _id: 'p2', title: 'two' })
    const p2 = await newest(thread)
    const resealed = sealRecordNode(nodeOf(p2, epoch.followKey), epoch).block
    expect(resealed.bytes).not.toEqual(p2.blocks[0]!.bytes)
    expect(resealed.cid).toBe(p2.record)
    expect(await push(mallory, thread.id, [{ ...p2, blocks: [resealed, ...p2.blocks.slice(1)] }])).toMatchObject({ type: 'pushed', stored: 1, rejected: [] })
    expect((await sync(thread, alice)).refused).toEqual([]) // Alice's own copy is a duplicate, not an equivocation
    await expectHonestWriterAccepted('p3')

    // 2. A record ID spelled in base58btc is refused; Alice's canonical push goes through.
    await photos.create({ _id: 'p4', title: 'four' })
    const p4 = await newest(thread)
    const misspelled = CID.parse(p4.record).toString(base58btc)
    const spelledAnswer = await push(mallory, thread.id, [{ ...p4, record: misspelled, blocks: [{ cid: misspelled, bytes: p4.blocks[0]!.bytes }, ...p4.blocks.slice(1)] }])
    expect(JSON.stringify(spelledAnswer)).toContain('BadCidError')
    if (kind === 'libp2p') await expect.poll(mallory.connected, { timeout: 10_000 }).toBe(false)
    expect((await sync(thread, alice)).refused).toEqual([])
    await sync(bob, bobParty)
    expect(bob.collection('photos').find({ _id: 'p4' })).toHaveLength(1)

    // 3. A small-order key: "signatures" by it verify for any message under a lax verifier.
    const identityPoint = Uint8Array.from({ length: 32 }, (_, i) => i === 0 ? 1 : 0)
    const nobody = peerIdFromPublicKey(publicKeyFromRaw(identityPoint)).toString()
    const anySignature = Uint8Array.from({ length: 64 }, (_, i) => i === 0 ? 1 : 0)
    const before = await heads(bobParty, thread.id)
    const follow = await request(mallory, { v: 2, type: 'follow', thread: thread.id, keys: [epoch.followKey], by: nobody, sig: anySignature })
    expect(follow).toMatchObject({ type: 'error', name: 'MalformedLogIdError' })
    expect(await heads(bobParty, thread.id)).toEqual(before)

    // 4. A record moved to another thread: Mallory owns a thread of her own whose genesis epoch has
    // the same follow key as Alice's, so Alice's records open there; they name Alice's thread and are refused.
    const malloryLog = generateLogIdentity()
    const nonce = new Uint8Array(16).fill(7)
    const otherThread = threadIdForGenesis(malloryLog.logId, nonce).toString()
    const genesis = await createRecord({ thread: otherThread, identity: malloryLog, epoch, kind: 'acl', payload: { v: 3, changes: [{ type: 'genesis', nonce, followKeyId: epoch.keyId, x25519: new Uint8Array(32).fill(1) }] }, prev: null })
    const hijack = await createFollowRequest({ thread: otherThread, followKeys: [epoch.followKey], member: malloryLog, first: { log: malloryLog.logId, record: genesis.record, blocks: genesis.blocks } })
    const malloryAgain = await party(kind, follower, cleanup)
    expect((await request(malloryAgain, hijack)).type).toBe('following')
    const moved = await push(malloryAgain, otherThread, (await thread.exportRecords()).filter((r) => r.log === thread.logId).slice(0, 1))
    expect(moved).toMatchObject({ type: 'pushed', stored: 0, rejected: [{ name: 'MalformedRecordError' }] })
    if (kind === 'libp2p') await expect.poll(malloryAgain.connected, { timeout: 10_000 }).toBe(false)
    await expectHonestWriterAccepted('p5')

    // 5. A member's own malformed records (an own-log dependency, an extra field): refused, and only that writer is.
    const writer = await party(kind, follower, cleanup)
    const mal = generateLogIdentity()
    const joinChange = await createJoinChange({ invite: malInvite, member: mal, x25519: new Uint8Array(32).fill(2), time: Date.now() })
    const join = await createRecord({ thread: thread.id, identity: mal, epoch, kind: 'acl', payload: { v: 3, changes: joinChange.changes }, deps: joinChange.deps, prev: null })
    const joinWire = { log: mal.logId, record: join.record, blocks: join.blocks }
    expect((await request(writer, await createFollowRequest({ thread: thread.id, followKeys: [epoch.followKey], member: mal, first: joinWire }))).type).toBe('following')
    const first = await createRecord({ thread: thread.id, identity: mal, epoch, payload: { v: 2, type: 'db', clock: 1, ops: [] }, prev: { record: join.record, seq: 1 } })
    const withField = async (extra: Record<string, unknown>) => {
      const { sig: _sig, ...unsigned } = nodeOf({ log: mal.logId, record: first.record, blocks: first.blocks }, epoch.followKey)
      const signed = { ...unsigned, ...extra }
      const sig = await mal.signer.sign(dagCbor.encode(signed))
      const { block } = sealRecordNode({ ...signed, sig }, epoch)
      return { log: mal.logId, record: block.cid, blocks: [block, ...first.blocks.slice(1)] }
    }
    expect(await push(writer, thread.id, [await withField({ note: 'extra' })])).toMatchObject({ rejected: [{ name: 'MalformedRecordError' }] })
    if (kind === 'libp2p') await expect.poll(writer.connected, { timeout: 10_000 }).toBe(false)
    const writerAgain = await party(kind, follower, cleanup)
    expect(await push(writerAgain, thread.id, [await withField({ deps: [{ log: mal.logId, record: CID.parse(p2.record), kind: 'causal' }] })])).toMatchObject({ rejected: [{ name: 'MalformedRecordError' }] })
    await expectHonestWriterAccepted('p6')

    // 6. A payload that is not a database event is held by the follower and by members alike, and skipped in views.
    const writerThird = await party(kind, follower, cleanup)
    const odd = await createRecord({ thread: thread.id, identity: mal, epoch, payload: { album: 'Summer' }, prev: { record: join.record, seq: 1 } })
    const next = await createRecord({ thread: thread.id, identity: mal, epoch, payload: { v: 2, type: 'db', clock: 100, ops: [{ op: 'create', coll: 'photos', id: 'm1', inc: new Uint8Array([1]), fields: { title: 'from mal' } }] }, prev: { record: odd.record, seq: 2 } })
    expect(await push(writerThird, thread.id, [odd, next].map((r) => ({ log: mal.logId, record: r.record, blocks: r.blocks })))).toMatchObject({ type: 'pushed', stored: 2, rejected: [] })
    // Bob finds Mallory's log through the follower's heads, and admits it through its join.
    await sync(bob, bobParty)
    expect(await bob.heads()).toContainEqual(expect.objectContaining({ log: mal.logId, seq: 3 }))
    expect(bob.collection('photos').find({ _id: 'm1' })[0]?.title, JSON.stringify(await bob.skipped())).toBe('from mal')
    expect(await bob.skipped()).toContainEqual(expect.objectContaining({ kind: 'record', record: odd.record, reason: 'InvalidEventError' }))
    await expectHonestWriterAccepted('p7')

    // Everyone ends with Alice's whole log.
    expect(bob.collection('photos').find({ _id: { $in: ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'] } })).toHaveLength(7)
  })
})
