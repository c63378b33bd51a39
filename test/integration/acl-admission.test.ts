/**
 * Access control against a real follower process (over HTTP): a stranger
 * cannot make the follower take someone else's thread, a member cannot hand
 * it a follow key no epoch commits to, and a viewer's database events are
 * refused by name by the follower and by members alike, while the owner's
 * and a writer's go through. Nothing refused is stored. Heads and records
 * are served only to members who sign a pull proof.
 */
import { x25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { generateGenesisNonce, threadIdForGenesis } from '../../src/core/acl/genesis.ts'
import { epochKeyId } from '../../src/core/acl/epoch-keys.ts'
import { generateSymmetricKey } from '../../src/core/crypto/aead.ts'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { generateLogIdentity, type LogIdentity } from '../../src/core/ids/log-id.ts'
import { createRecord } from '../../src/core/log/create-record.ts'
import { createKeyring } from '../../src/core/log/keyring.ts'
import { openHeader, openRecordUnsigned } from '../../src/core/log/open-record.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { createFollowRequest } from '../../src/core/sync/follow-request.ts'
import { createPullProof } from '../../src/core/sync/pull-proof.ts'
import { createJoinChange, type Invite } from '../../src/core/sync/invite.ts'
import type { RecordEnvelope } from '../../src/core/sync/messages.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { startFollowerProcess } from '../helpers/follower-process.ts'
import { expectSealedFrom, membersAtFollower } from '../helpers/follower-members.ts'

/** A log built by hand that joins through `invite` and then writes one database event, as a careless or hostile member could. */
async function handMadeMember (invite: Invite): Promise<{ identity: LogIdentity, join: RecordEnvelope, write: RecordEnvelope }> {
  const identity = generateLogIdentity()
  const held = invite.epochs.at(-1)!
  // A viewer holds no read key; the record is sealed with the follow key and a read key of its own making.
  const epoch = { keyId: held.keyId, followKey: held.followKey, readKey: held.readKey ?? generateSymmetricKey() }
  const { changes, deps } = await createJoinChange({ invite, member: identity, x25519: x25519.getPublicKey(generateSymmetricKey()), time: Date.now() })
  const join = await createRecord({ thread: invite.thread, identity, epoch, kind: 'acl', payload: { v: 3, changes }, deps, prev: null })
  const write = await createRecord({ thread: invite.thread, identity, epoch, payload: { v: 2, type: 'db', clock: 1, ops: [{ op: 'create', coll: 'photos', id: 'sneaky', inc: new Uint8Array([1]), fields: { title: 'by a viewer' } }] }, prev: { record: join.record, seq: 1 } })
  const wire = (r: typeof join): RecordEnvelope => ({ log: identity.logId, record: r.record, blocks: r.blocks })
  return { identity, join: wire(join), write: wire(write) }
}

describe('access control at a real follower', { timeout: 180_000 }, () => {
  const cleanup = cleanupAfterAll()
  /** A real follower process, and Alice's thread with one photo (not yet followed). */
  const ownerAtFollower = async (prefix: string): Promise<{ http: ReturnType<typeof httpSyncTransport>, aliceDb: ReturnType<typeof openDatabase>, alice: ThreadDatabase }> => {
    const follower = await startFollowerProcess(await tempDir(prefix, cleanup))
    cleanup(async () => await follower.stop())
    const aliceDb = openDatabase({ backend: createMemoryBackend() })
    const alice = await aliceDb.createThread({ name: 'Trip' })
    await alice.collection('photos').create({ _id: 'p1', title: 'one' })
    return { http: httpSyncTransport(follower.httpUrl), aliceDb, alice }
  }

  it('refuses strangers, bogus follow keys and a viewer\'s writes by name, storing none of them', async () => {
    const { http, aliceDb, alice } = await ownerAtFollower('threads-acl-')

    // 1. Before Alice asks, a stranger asks the follower to keep her thread, with a genesis of its own: refused, nothing held.
    const mallory = generateLogIdentity()
    const nonce = generateGenesisNonce()
    const followKey = generateSymmetricKey()
    const malloryEpoch = { keyId: epochKeyId(followKey), followKey, readKey: generateSymmetricKey() }
    // Her genesis names Alice's thread, but its owner and nonce hash to another thread ID.
    expect(threadIdForGenesis(mallory.logId, nonce).toString()).not.toBe(alice.id)
    const genesis = await createRecord({ thread: alice.id, identity: mallory, epoch: malloryEpoch, kind: 'acl', payload: { v: 3, changes: [{ type: 'genesis', nonce, followKeyId: malloryEpoch.keyId, x25519: new Uint8Array(32).fill(5) }] }, prev: null })
    const claim = await createFollowRequest({ thread: alice.id, followKeys: [followKey], member: mallory, first: { log: mallory.logId, record: genesis.record, blocks: genesis.blocks } })
    expect(await http.request(claim)).toMatchObject({ type: 'error', name: 'NotAMemberError' })
    // Nor may the stranger follow it without a genesis, or push to it.
    expect(await http.request(await createFollowRequest({ thread: alice.id, followKeys: [followKey], member: mallory }))).toMatchObject({ type: 'error', name: 'NotAMemberError' })
    expect(await http.request({ v: 2, type: 'heads', thread: alice.id })).toMatchObject({ type: 'error', name: 'ThreadNotFoundError' })

    // Alice's own request is taken; invites for a writer and a viewer reach the follower with her photo.
    expect(await http.request(await alice.followRequest())).toMatchObject({ type: 'following' })
    const writerInvite = await alice.invite({ role: 'write' })
    const viewerInvite = await alice.invite({ role: 'read' })
    expect(await syncThread({ thread: alice.id, replica: aliceDb.syncReplica(), transport: http })).toMatchObject({ pushed: 3, refused: [] })
    // Heads are served to members only: Alice signs a pull proof (HTTP: with the time).
    const aliceHeads = async (): Promise<unknown> => await http.request({ v: 2, type: 'heads', thread: alice.id, proof: await aliceDb.syncReplica().pullProof!(alice.id, Date.now()) })
    const headsBefore = await aliceHeads()
    expect(headsBefore).toMatchObject({ type: 'heads' })

    // 2. A stranger's records are sealed with keys no epoch of the thread has; its follow is no member's.
    const strangers = await createRecord({ thread: alice.id, identity: mallory, epoch: malloryEpoch, payload: { hello: 1 }, prev: null })
    expect(await http.request({ v: 2, type: 'push', thread: alice.id, records: [{ log: mallory.logId, record: strangers.record, blocks: strangers.blocks }] }))
      .toMatchObject({ type: 'pushed', stored: 0, rejected: [{ name: 'UnknownEpochError' }] })
    expect(await aliceHeads()).toEqual(headsBefore)

    // 3. A member hands over a follow key no genesis or rotate commits to: refused, and its join is not taken with it.
    const carol = await handMadeMember(writerInvite)
    const bogus = generateSymmetricKey()
    const carols = await createFollowRequest({ thread: alice.id, followKeys: [writerInvite.epochs[0]!.followKey, bogus], member: carol.identity, first: carol.join })
    expect(await http.request(carols)).toMatchObject({ type: 'error', name: 'UnknownEpochError' })
    expect(await aliceHeads()).toEqual(headsBefore)
    // A writer who joins through the same invite follows, and its photo goes through.
    const bobDb = openDatabase({ backend: createMemoryBackend() })
    const bob = await bobDb.acceptInvite(writerInvite)
    expect(await http.request(await bob.followRequest())).toMatchObject({ type: 'following' })
    expect(await syncThread({ thread: bob.id, replica: bobDb.syncReplica(), transport: http })).toMatchObject({ refused: [] })
    await bob.collection('photos').create({ _id: 'b1', title: 'by Bob' })
    expect(await syncThread({ thread: bob.id, replica: bobDb.syncReplica(), transport: http })).toMatchObject({ pushed: 1, refused: [] })

    // 4. A viewer's database event: its join is taken, its write is RoleError at the follower and at a member.
    const vera = await handMadeMember(viewerInvite)
    const pushed = await http.request({ v: 2, type: 'push', thread: alice.id, records: [vera.join, vera.write] })
    expect(pushed).toMatchObject({ type: 'pushed', stored: 1, rejected: [{ record: vera.write.record, name: 'RoleError' }] })
    const outcomes = await alice.ingestMany([vera.join, vera.write])
    expect(outcomes.map((o) => o instanceof Error ? o.name : o.status)).toEqual(['stored', 'RoleError'])
    expect(alice.collection('photos').get('sneaky')).toBeUndefined()
    // The viewer's own database, once it holds the ACL, refuses the write up front.
    const veraDb = openDatabase({ backend: createMemoryBackend() })
    const veraThread = await veraDb.acceptInvite(viewerInvite)
    // Heads are refused until the follower holds her join: her sync pushes it first, then asks again.
    await syncThread({ thread: veraThread.id, replica: veraDb.syncReplica(), transport: http })
    expect(veraThread.collection('photos').get('b1')).toEqual({ _id: 'b1', title: 'by Bob' })
    await expect(veraThread.collection('photos').create({ _id: 'v1', title: 'by Vera' })).rejects.toMatchObject({ name: 'RoleError' })

    // Alice sees Bob's photo, and nothing of the viewer's.
    await syncThread({ thread: alice.id, replica: aliceDb.syncReplica(), transport: http })
    expect(alice.collection('photos').find({}).map((d) => d._id).sort()).toEqual(['b1', 'p1'])
  })

  it('serves heads and records only to members who sign a pull proof for this thread, now', async () => {
    const { http, aliceDb, alice } = await ownerAtFollower('threads-pull-')
    expect(await http.request(await alice.followRequest())).toMatchObject({ type: 'following' })
    expect(await syncThread({ thread: alice.id, replica: aliceDb.syncReplica(), transport: http })).toMatchObject({ pushed: 1, refused: [] })
    const pull = { v: 2, type: 'pull', thread: alice.id, from: [{ log: alice.logId, after: 0 }], limit: 10 } as const

    // A stranger, knowing the thread ID: without a proof, with its own key, or replaying a member's proof
    // made for another thread or too long ago, it gets NotAMemberError and nothing else.
    const mallory = generateLogIdentity()
    const strangers = await createPullProof({ thread: alice.id, peer: Date.now(), member: mallory })
    const otherThread = await aliceDb.createThread({ name: 'Other' })
    const forOther = await aliceDb.syncReplica().pullProof!(otherThread.id, Date.now())
    const stale = await aliceDb.syncReplica().pullProof!(alice.id, Date.now() - 10 * 60 * 1000)
    for (const proof of [undefined, strangers, forOther, stale]) {
      for (const request of [{ v: 2, type: 'heads', thread: alice.id } as const, pull]) {
        const answer = await http.request(proof === undefined ? request : { ...request, proof: proof! })
        expect(answer).toEqual({ v: 2, type: 'error', name: 'NotAMemberError', message: expect.stringContaining('members') })
      }
    }

    // Alice's proof opens both; a new member's too, once its join reached the follower.
    const fresh = await aliceDb.syncReplica().pullProof!(alice.id, Date.now())
    expect(await http.request({ v: 2, type: 'heads', thread: alice.id, proof: fresh! })).toMatchObject({ type: 'heads', heads: [{ log: alice.logId, seq: 2 }] })
    expect(await http.request({ ...pull, proof: fresh! })).toMatchObject({ type: 'records', records: [{ log: alice.logId }, { log: alice.logId }] })
    const bobDb = openDatabase({ backend: createMemoryBackend() })
    const bob = await bobDb.acceptInvite(await alice.invite({ role: 'follow' }))
    await syncThread({ thread: alice.id, replica: aliceDb.syncReplica(), transport: http })
    expect(await http.request(await bob.followRequest())).toMatchObject({ type: 'following' })
    expect(await syncThread({ thread: bob.id, replica: bobDb.syncReplica(), transport: http })).toMatchObject({ refused: [] })
    expect((await bob.heads()).find((h) => h.log === alice.logId)?.seq).toBe(3)
  })

  it('after removal, the removed member\'s new writes are refused, and what others write after it opens with no key it held', async () => {
    const follower = await startFollowerProcess(await tempDir('threads-remove-', cleanup))
    cleanup(async () => await follower.stop())
    const http = httpSyncTransport(follower.httpUrl)
    const { owner, members: [bobMember, carolMember] } = await membersAtFollower(http, ['write', 'write'])
    const { db: aliceDb, thread: alice } = owner
    const { db: bobDb, thread: bob } = bobMember!
    const { db: carolDb, thread: carol } = carolMember!
    await bob.collection('photos').create({ _id: 'before', title: 'by Bob, before' })
    await syncThread({ thread: bob.id, replica: bobDb.syncReplica(), transport: http })
    await syncThread({ thread: alice.id, replica: aliceDb.syncReplica(), transport: http })
    expect(alice.collection('photos').get('before')).toBeDefined()
    expect((await alice.members.list()).map((m) => [m.log, m.role]).sort()).toEqual([[alice.logId, 'admin'], [bob.logId, 'write'], [carol.logId, 'write']].sort())

    // Alice removes Bob: role none and a new epoch, in one record; the follower takes the new follow key from her.
    await alice.members.remove(bob.logId)
    expect(await alice.members.role()).toBe('admin')
    expect((await alice.members.list()).find((m) => m.log === bob.logId)?.role).toBe('none')
    await syncThread({ thread: alice.id, replica: aliceDb.syncReplica(), transport: http })
    expect(await http.request(await alice.followRequest())).toMatchObject({ type: 'following' })
    const marker = 'PLAINTEXT-AFTER-REMOVAL'
    await alice.collection('photos').create({ _id: 'after', title: marker })
    expect(await syncThread({ thread: alice.id, replica: aliceDb.syncReplica(), transport: http })).toMatchObject({ pushed: 1, refused: [] })

    // Bob, not knowing yet, writes: the follower no longer serves him heads or records, refuses his push
    // (he is no member there), and so does Carol.
    await bob.collection('photos').create({ _id: 'late', title: 'by Bob, after removal' })
    const bobsLate = (await bob.exportRecords()).filter((r) => r.log === bob.logId).at(-1)!
    await expect(syncThread({ thread: bob.id, replica: bobDb.syncReplica(), transport: http })).rejects.toMatchObject({ remoteName: 'NotAMemberError' })
    const bobsProof = await bobDb.syncReplica().pullProof!(bob.id, Date.now())
    expect(await http.request({ v: 2, type: 'pull', thread: bob.id, from: [{ log: alice.logId, after: 0 }], limit: 10, proof: bobsProof })).toMatchObject({ type: 'error', name: 'NotAMemberError' })
    expect(await http.request({ v: 2, type: 'push', thread: bob.id, records: [bobsLate] })).toMatchObject({ type: 'pushed', stored: 0, rejected: [{ record: bobsLate.record, name: 'NotAMemberError' }] })
    await syncThread({ thread: carol.id, replica: carolDb.syncReplica(), transport: http })
    expect(carol.collection('photos').get('after')).toEqual({ _id: 'after', title: marker }) // Carol opened her share of the new epoch
    expect((await carol.ingestMany([bobsLate])).map((o) => o instanceof Error ? o.name : o.status)).toEqual(['NotAMemberError'])
    expect(carol.collection('photos').get('late')).toBeUndefined()

    // Bob holds Alice's record written after his removal, and no key he holds opens it; its marker is nowhere in plaintext.
    const after = (await alice.exportRecords()).filter((r) => r.log === alice.logId).at(-1)!
    expect((await bob.ingestMany([after])).map((o) => o instanceof Error ? o.name : o.status)).toEqual(['UnknownEpochError'])
    await expectSealedFrom(after, bobMember!, marker)
  })
})
