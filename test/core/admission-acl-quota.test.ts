/**
 * A member below admin writes at most MAX_ACL_EVENTS_PER_MEMBER ACL events to
 * its log (its join included). Without the quota, a member of role follow
 * filled the bound of events one ACL evaluation takes with profile changes,
 * after which no admin could change the ACL again, not even to remove it.
 * Its own database refuses the event past it in words, and a follower refuses
 * such records made by hand, while the admin still removes the member.
 */
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import { logIdentityFromSeed } from '../../src/core/ids/log-id.ts'
import { createRecord, type CreatedRecord } from '../../src/core/log/create-record.ts'
import { MAX_ACL_EVENTS_PER_MEMBER } from '../../src/core/log/admission.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'

describe('ACL events of a member below admin', () => {
  it('are refused past the quota, by its own database and by a follower, and the admin still removes it', async () => {
    const follower = memoryFollower()
    const ownerDb = openDatabase({ backend: createMemoryBackend() })
    const owner = await ownerDb.createThread({ name: 'Trip' })
    expect((await follower.transport.request(await owner.followRequest())).type).toBe('following')
    const invite = await owner.invite({ role: 'follow' })
    await syncThread({ thread: owner.id, replica: ownerDb.syncReplica(), transport: follower.transport })

    const memberBackend = createMemoryBackend()
    const memberDb = openDatabase({ backend: memberBackend })
    const member = await memberDb.acceptInvite(invite)
    expect((await follower.transport.request(await member.followRequest())).type).toBe('following')
    // Its join is its first ACL event; profile changes fill the rest of the quota.
    for (let i = 1; i < MAX_ACL_EVENTS_PER_MEMBER; i++) await member.writeAcl([{ type: 'profile', name: `name ${i}` }])
    const sync = async (): Promise<Awaited<ReturnType<typeof syncThread>>> => await syncThread({ thread: member.id, replica: memberDb.syncReplica(), transport: follower.transport })
    expect((await sync()).refused).toEqual([])

    // One more is refused in words, and nothing is written.
    const keys = createKeyBook(memberBackend.meta)
    const self = await keys.self(member.id)
    const identity = logIdentityFromSeed(self!.identitySeed)
    const headBefore = (await memberDb.syncReplica().heads(member.id)).find((h) => h.log === identity.logId)!
    expect(headBefore.seq).toBe(MAX_ACL_EVENTS_PER_MEMBER)
    await expect(member.writeAcl([{ type: 'profile', name: 'one too many' }])).rejects.toMatchObject({ name: 'AclQuotaError', message: expect.stringContaining(`at most ${MAX_ACL_EVENTS_PER_MEMBER}`) })
    expect((await memberDb.syncReplica().heads(member.id)).find((h) => h.log === identity.logId)).toEqual(headBefore)

    // Made by hand past its database's check, such records are refused by the follower, by name.
    const epoch = (await keys.epochs(member.id))[0]!
    const crafted: CreatedRecord[] = []
    let prev = { record: headBefore.record, seq: headBefore.seq }
    for (let i = 0; i < 3; i++) {
      const made = await createRecord({ thread: member.id, identity, epoch, kind: 'acl', payload: { v: 3, changes: [{ type: 'profile', name: `crafted ${i}` }] }, prev })
      crafted.push(made)
      prev = { record: made.record, seq: made.node.seq }
    }
    const pushed = await follower.transport.request({ v: 2, type: 'push', thread: member.id, records: crafted.map((r) => ({ log: identity.logId, record: r.record, blocks: r.blocks })) })
    expect(pushed).toMatchObject({ type: 'pushed', stored: 0 })
    expect(JSON.stringify(pushed)).toContain('AclQuotaError')

    // The admin, whose own ACL events are not capped, removes the member; the follower takes the removal.
    await syncThread({ thread: owner.id, replica: ownerDb.syncReplica(), transport: follower.transport })
    await owner.members.remove(identity.logId)
    expect((await syncThread({ thread: owner.id, replica: ownerDb.syncReplica(), transport: follower.transport })).refused).toEqual([])
    expect((await owner.members.list()).find((m) => m.log === identity.logId)?.role ?? 'none').toBe('none')
  }, 120_000)
})
