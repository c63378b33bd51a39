/**
 * How a follower places the records of one log that a push carries, as its
 * admission judges them in order: records held already are duplicates, the
 * next records of the log are stored, a record after a gap waits for what is
 * missing (and is stored once it comes), in whatever order a push holds them.
 */
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import type { RecordEnvelope, SyncResponse } from '../../src/core/sync/messages.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'

describe('a push of one log\'s records to a follower', () => {
  it('answers held records as duplicates, stores the next ones, and leaves a record after a gap until the gap is filled', async () => {
    const f = memoryFollower()
    const owner = openDatabase({ backend: createMemoryBackend() })
    const thread = await owner.createThread()
    expect((await f.transport.request(await thread.followRequest())).type).toBe('following')
    const memberDb = openDatabase({ backend: createMemoryBackend() })
    const member = await memberDb.acceptInvite(await thread.invite({ role: 'write' }))
    // The invite reaches the follower, so the member's join is admitted.
    await syncThread({ thread: thread.id, replica: owner.syncReplica(), transport: f.transport })
    for (let i = 0; i < 6; i++) await member.collection('notes').create({ _id: `n${i}`, text: `note ${i}` })
    const log = (await member.exportRecords()).filter((r) => r.log === member.logId)
    expect(log).toHaveLength(7) // the join, then six notes
    const push = async (records: RecordEnvelope[]): Promise<SyncResponse> => await f.transport.request({ v: 2, type: 'push', thread: thread.id, records })
    const held = async (): Promise<number> => (await f.replica.heads(thread.id)).find((h) => h.log === member.logId)?.seq ?? 0

    expect(await push(log.slice(0, 3))).toMatchObject({ type: 'pushed', stored: 3, duplicates: 0, rejected: [] })
    expect(await held()).toBe(3)

    // Seq 3 is held, seq 4 extends the log, seq 6 comes after a gap (seq 5 is not sent).
    const second = await push([log[2]!, log[3]!, log[5]!])
    expect(second).toMatchObject({ type: 'pushed', stored: 1, duplicates: 1 })
    if (second.type !== 'pushed') return
    expect(second.rejected).toEqual([expect.objectContaining({ record: log[5]!.record, name: 'MissingDependencyError' })])
    expect(await held()).toBe(4)

    // In one push, seq 6 before seq 5: seq 5 is stored, seq 6 waits (its prev was not placed before it).
    const third = await push([log[5]!, log[4]!])
    expect(third).toMatchObject({ type: 'pushed', stored: 1, duplicates: 0 })
    if (third.type !== 'pushed') return
    expect(third.rejected).toEqual([expect.objectContaining({ record: log[5]!.record, name: 'MissingDependencyError' })])
    expect(await held()).toBe(5)

    // Sent again in order after what it waited for, it is stored, and so is the rest of the log.
    expect(await push([log[4]!, log[5]!, log[6]!])).toMatchObject({ type: 'pushed', stored: 2, duplicates: 1, rejected: [] })
    expect(await held()).toBe(7)
    await memberDb.close()
    await owner.close()
  })

  it('judges each push by the ACL as the pushes before it left it, where the follower keeps its ACL in memory', async () => {
    const f = memoryFollower({ soleWriter: true })
    const ownerDb = openDatabase({ backend: createMemoryBackend() })
    const owner = await ownerDb.createThread()
    expect((await f.transport.request(await owner.followRequest())).type).toBe('following')
    const bobDb = openDatabase({ backend: createMemoryBackend() })
    const bob = await bobDb.acceptInvite(await owner.invite({ role: 'write' }))
    await syncThread({ thread: owner.id, replica: ownerDb.syncReplica(), transport: f.transport })
    const pushBob = async (): Promise<{ pushed: number, refused: ReadonlyArray<{ name: string }> }> => await syncThread({ thread: bob.id, replica: bobDb.syncReplica(), transport: f.transport })

    await bob.collection('notes').create({ _id: 'b1', text: 'first' })
    expect(await pushBob()).toMatchObject({ pushed: 2, refused: [] }) // his join, then his note
    // Pushes with no ACL event in them are judged by the ACL as held.
    await bob.collection('notes').create({ _id: 'b2', text: 'second' })
    expect(await pushBob()).toMatchObject({ pushed: 1, refused: [] })

    // The owner, having heard of Bob's join from the follower, lowers him to read; once the follower holds that, his next note is refused.
    await syncThread({ thread: owner.id, replica: ownerDb.syncReplica(), transport: f.transport })
    await owner.members.setRole(bob.logId, 'read')
    expect(await syncThread({ thread: owner.id, replica: ownerDb.syncReplica(), transport: f.transport })).toMatchObject({ refused: [] })
    await bob.collection('notes').create({ _id: 'b3', text: 'after being lowered' })
    const lowered = await pushBob()
    expect(lowered.refused.map((r) => r.name)).toEqual(['RoleError'])

    // Someone invited later joins and writes: the ACL grows with the pushes that carry it.
    const carolDb = openDatabase({ backend: createMemoryBackend() })
    const carol = await carolDb.acceptInvite(await owner.invite({ role: 'write' }))
    await syncThread({ thread: owner.id, replica: ownerDb.syncReplica(), transport: f.transport })
    await carol.collection('notes').create({ _id: 'c1', text: 'hello' })
    expect(await syncThread({ thread: carol.id, replica: carolDb.syncReplica(), transport: f.transport })).toMatchObject({ pushed: 2, refused: [] })
    for (const db of [carolDb, bobDb, ownerDb]) await db.close()
  })
})
