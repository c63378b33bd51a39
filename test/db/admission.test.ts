/**
 * Admission by the ACL in the database: a lowered member's records from the
 * seq it was lowered at are refused on arrival, and those already applied are
 * taken out of the view by a rebuild and reported, the same on every replica.
 */
import { describe, expect, it } from 'vitest'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { copyRecords } from '../helpers/copy-records.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const statuses = (outcomes: ReadonlyArray<{ status: string } | Error>): string[] => outcomes.map((o) => o instanceof Error ? o.name : o.status)
const sync = copyRecords

describe('admission in the database', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('takes a member\'s applied writes out of the view when a role change from an earlier seq arrives, and refuses the rest', async () => {
    const alice = await openDatabase({ backend: createMemoryBackend() }).createThread()
    const bob = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(await alice.invite({ role: 'write' }))
    const carol = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(await alice.invite({ role: 'admin' }))
    for (const [from, to] of [[alice, bob], [alice, carol], [bob, alice], [carol, alice], [bob, carol], [carol, bob]] as const) await sync(from, to)
    expect((await carol.members.list()).find((m) => m.log === bob.logId)?.role).toBe('write')
    const heardByAlice: Array<Array<[string, string]>> = []
    alice.members.onChange((members) => heardByAlice.push(members.map((m) => [m.log, m.role])))

    // Bob writes; Alice applies it. Carol, who has not seen it, makes Bob a viewer from the record after his join.
    await bob.collection('photos').create({ _id: 'b1', title: 'by Bob' })
    const bobsPhoto = (await bob.exportRecords()).filter((r) => r.log === bob.logId).at(-1)!
    expect(statuses(await alice.ingestMany([bobsPhoto]))).toEqual(['stored'])
    expect(alice.collection('photos').get('b1')).toEqual({ _id: 'b1', title: 'by Bob' })
    await carol.members.setRole(bob.logId, 'read')

    // Carol refuses Bob's photo by name; Alice, on Carol's change, takes it out of her view and reports it.
    expect(statuses(await carol.ingestMany([bobsPhoto]))).toEqual(['RoleError'])
    await sync(carol, alice)
    expect(alice.collection('photos').get('b1')).toBeUndefined()
    expect((await alice.skipped()).map((s) => [s.kind, s.record, s.reason])).toEqual([['record', bobsPhoto.record, 'RoleError']])
    expect(alice.dump()).toEqual(carol.dump())
    // Alice was told of the change once, with Bob a viewer.
    expect(heardByAlice).toHaveLength(1)
    expect(heardByAlice[0]!.find(([log]) => log === bob.logId)?.[1]).toBe('read')

    // Bob, once he holds Carol's change, cannot write any more.
    await sync(carol, bob)
    expect(await bob.members.role()).toBe('read')
    await expect(bob.collection('photos').create({ _id: 'b2', title: 'again' })).rejects.toMatchObject({ name: 'RoleError' })
  })
})
