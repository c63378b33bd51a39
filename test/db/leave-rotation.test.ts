/**
 * Rotation after a leave: an admin's database that receives a member's leave
 * rotates the thread's keys to a new epoch sealed to the remaining members,
 * so what is written afterwards opens with no key the leaver ever held.
 * Concurrent admins each rotate once; both rotations stand and nothing
 * rotates again.
 */
import { describe, expect, it } from 'vitest'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { copyRecords } from '../helpers/copy-records.ts'
import { expectSealedFrom } from '../helpers/follower-members.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const statuses = (outcomes: ReadonlyArray<{ status: string } | Error>): string[] => outcomes.map((o) => o instanceof Error ? o.name : o.status)
const ownLast = async (t: ThreadDatabase): Promise<Awaited<ReturnType<ThreadDatabase['exportRecords']>>[number]> => (await t.exportRecords()).filter((r) => r.log === t.logId).at(-1)!

async function everyoneHoldsEverything (threads: readonly ThreadDatabase[]): Promise<void> {
  for (const from of threads) for (const to of threads) if (from !== to) await copyRecords(from, to)
}

describe('rotation after a leave', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('the owner\'s database rotates when it receives a leave; what is written afterwards opens with no key the leaver held', async () => {
    const aliceBackend = createMemoryBackend()
    const alice = await openDatabase({ backend: aliceBackend }).createThread()
    const aliceEpochs = async (): Promise<number> => (await createKeyBook(aliceBackend.meta).epochs(alice.id)).length
    const bobBackend = createMemoryBackend()
    const bob = await openDatabase({ backend: bobBackend }).acceptInvite(await alice.invite({ role: 'write' }))
    const carol = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(await alice.invite({ role: 'read' }))
    await everyoneHoldsEverything([alice, bob, carol])
    expect(await aliceEpochs()).toBe(1)

    // Bob leaves; the leave reaches Alice, whose database rotates at once (one record: a rotate).
    await bob.members.leave()
    const leave = await ownLast(bob)
    expect(statuses(await alice.ingestMany([leave]))).toEqual(['stored'])
    expect((await alice.members.list()).find((m) => m.log === bob.logId)?.role).toBe('none')
    const rotation = await ownLast(alice)
    expect(await aliceEpochs()).toBe(2)
    expect((await alice.heads()).find((h) => h.log === alice.logId)?.seq).toBe(4) // genesis, two invites, the rotation
    // Nothing more to rotate for on the next batch.
    await copyRecords(bob, alice)
    expect(await aliceEpochs()).toBe(2)

    // Alice writes a marker; Carol, a remaining member, opens it; Bob holds no key that does.
    const marker = 'PLAINTEXT-AFTER-LEAVE'
    await alice.collection('notes').create({ _id: 'after', title: marker })
    const after = await ownLast(alice)
    await copyRecords(alice, carol)
    expect(carol.collection('notes').get('after')).toEqual({ _id: 'after', title: marker })
    expect(statuses(await bob.ingestMany([rotation, after]))).toEqual(['stored', 'UnknownEpochError'])
    expect(await createKeyBook(bobBackend.meta).epochs(bob.id)).toHaveLength(1)
    await expectSealedFrom(after, { thread: bob, backend: bobBackend }, marker)
  })

  it('two admins who receive the same leave each rotate once; both rotations stand on every replica and nothing rotates again', async () => {
    const backends = [createMemoryBackend(), createMemoryBackend()]
    const alice = await openDatabase({ backend: backends[0]! }).createThread()
    const dave = await openDatabase({ backend: backends[1]! }).acceptInvite(await alice.invite({ role: 'admin' }))
    const bob = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(await alice.invite({ role: 'write' }))
    const all = [alice, dave, bob]
    await everyoneHoldsEverything(all)
    await bob.members.leave()
    const leave = await ownLast(bob)
    // Each admin gets the leave before seeing the other's rotation.
    for (const admin of [alice, dave]) expect(statuses(await admin.ingestMany([leave]))).toEqual(['stored'])
    await everyoneHoldsEverything(all)
    await everyoneHoldsEverything(all)
    const heads = async (t: ThreadDatabase): Promise<string> => JSON.stringify((await t.heads()).sort((a, b) => a.log < b.log ? -1 : 1))
    expect(await heads(alice)).toBe(await heads(dave))
    // Alice: genesis, two invites, her rotation; Dave: his join, his rotation. No second rotation after seeing the other's.
    expect((await alice.heads()).find((h) => h.log === alice.logId)?.seq).toBe(4)
    expect((await alice.heads()).find((h) => h.log === dave.logId)?.seq).toBe(2)
    for (const [i, t] of [alice, dave].entries()) {
      expect(await createKeyBook(backends[i]!.meta).epochs(t.id)).toHaveLength(3)
      expect((await t.members.list()).map((m) => [m.log, m.role]).sort()).toEqual([[alice.logId, 'admin'], [bob.logId, 'none'], [dave.logId, 'admin']].sort())
    }
    // Alice writes after both rotations; Dave reads it.
    await alice.collection('notes').create({ _id: 'later', title: 'after both rotations' })
    await copyRecords(alice, dave)
    expect(dave.collection('notes').get('later')).toEqual({ _id: 'later', title: 'after both rotations' })
  })
})

describe('removing several members at once', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('writes one record with a role change each and one rotation; neither removed member opens what is written afterwards', async () => {
    const alice = await openDatabase({ backend: createMemoryBackend() }).createThread()
    const others = []
    for (const role of ['write', 'read', 'write'] as const) {
      const backend = createMemoryBackend()
      others.push({ backend, thread: await openDatabase({ backend }).acceptInvite(await alice.invite({ role })) })
    }
    const [bob, carol, dave] = others
    await everyoneHoldsEverything([alice, ...others.map((o) => o.thread)])
    const before = (await alice.heads()).find((h) => h.log === alice.logId)!.seq

    expect(await alice.members.removeAll([bob!.thread.logId, carol!.thread.logId])).toEqual({ refollow: true })
    expect((await alice.heads()).find((h) => h.log === alice.logId)!.seq).toBe(before + 1)
    const removal = await ownLast(alice)
    await alice.collection('notes').create({ _id: 'after', title: 'PLAINTEXT-AFTER-BOTH' })
    const after = await ownLast(alice)
    for (const o of others) expect(statuses(await o.thread.ingestMany([removal]))).toEqual(['stored'])
    // Every replica holds the same membership; Dave, who stays, reads what follows; the removed two open nothing of it.
    for (const t of [alice, ...others.map((o) => o.thread)]) {
      expect((await t.members.list()).map((m) => m.role).sort()).toEqual(['admin', 'none', 'none', 'write'])
    }
    expect(statuses(await dave!.thread.ingestMany([after]))).toEqual(['stored'])
    expect(dave!.thread.collection('notes').get('after')).toEqual({ _id: 'after', title: 'PLAINTEXT-AFTER-BOTH' })
    for (const removed of [bob!, carol!]) {
      expect(statuses(await removed.thread.ingestMany([after]))).toEqual(['UnknownEpochError'])
      await expectSealedFrom(after, removed, 'PLAINTEXT-AFTER-BOTH')
    }
  })
})
