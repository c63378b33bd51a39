/**
 * The document rule in the database: a document created in a `creator`
 * collection is bound to its creator's log, and every replica skips, by name
 * and whatever order records arrive in, an event that changes it from another
 * log whose role there is below delete; the database refuses such a command
 * before writing. Members of role delete and admins may change it.
 */
import { describe, expect, it } from 'vitest'
import { boundLog } from '../../src/core/db/document-access.ts'
import { openDatabase, type RecordEnvelope, type ThreadDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { copyRecords } from '../helpers/copy-records.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'
import { createdIncarnation, dbEvent, inc, rawPeer } from './raw-peer.ts'
import { deliver } from './replicas.ts'

const statuses = (outcomes: ReadonlyArray<{ status: string } | Error>): string[] => outcomes.map((o) => o instanceof Error ? o.name : o.status)

/** Alice (owner) with Bob, a writer, and Dave, of role delete, all holding each other's records. */
async function album (): Promise<{ alice: ThreadDatabase, bob: ThreadDatabase, dave: ThreadDatabase, all: ThreadDatabase[] }> {
  const alice = await openDatabase({ backend: createMemoryBackend() }).createThread()
  const bob = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(await alice.invite({ role: 'write' }))
  const dave = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(await alice.invite({ role: 'delete' }))
  const all = [alice, bob, dave]
  await everyoneHoldsEverything(all)
  for (const t of all) t.collection('photos', { access: 'creator' })
  return { alice, bob, dave, all }
}

async function everyoneHoldsEverything (threads: readonly ThreadDatabase[]): Promise<void> {
  for (const from of threads) for (const to of threads) if (from !== to) await copyRecords(from, to)
}

const heads = async (t: ThreadDatabase): Promise<string[]> => (await t.heads()).map((h) => `${h.log}:${h.seq}`).sort()

describe('documents bound to their creator', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('a creator collection gives each new document an ID bound to its creator\'s log; a shared one does not', async () => {
    const { bob } = await album()
    const bound = await bob.collection('photos').create({ title: 'by Bob' })
    expect(boundLog(bound)).toBe(bob.logId)
    expect(await bob.collection('notes').create({ title: 'default rule' })).toMatch(new RegExp(`^${bob.logId}\\.`))
    expect(boundLog(await bob.collection('shared', { access: 'shared' }).create({ title: 'anyone' }))).toBeUndefined()
  })

  it('refuses, in words and before writing, a writer\'s change to another member\'s document; the creator, role delete and admins may change it', async () => {
    const { alice, bob, dave, all } = await album()
    const carol = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(await alice.invite({ role: 'write' }))
    await everyoneHoldsEverything([...all, carol])
    const id = await bob.collection('photos').create({ title: 'beach' })
    await copyRecords(bob, carol)
    const photos = carol.collection('photos', { access: 'creator' })
    expect(photos.get(id)).toEqual({ _id: id, title: 'beach' })

    const before = await heads(carol)
    await expect(photos.update(id, { title: 'renamed by Carol' })).rejects.toMatchObject({ name: 'DocumentAccessError', message: expect.stringContaining('another member') })
    await expect(photos.delete(id)).rejects.toMatchObject({ name: 'DocumentAccessError', message: expect.stringContaining('You cannot delete') })
    await expect(carol.transaction(async (tx) => { await tx.collection('photos').update(id, { title: 'in a transaction' }) })).rejects.toMatchObject({ name: 'DocumentAccessError' })
    await expect(photos.create({ _id: id.replace(bob.logId, dave.logId), title: 'in Dave\'s name' })).rejects.toMatchObject({ name: 'DocumentAccessError' })
    expect(await heads(carol)).toEqual(before)
    expect(photos.get(id)).toEqual({ _id: id, title: 'beach' })
    // Her own documents and shared ones are hers to change.
    const own = await photos.create({ title: 'by Carol' })
    await photos.update(own, { title: 'by Carol, renamed' })
    const notice = await bob.collection('board', { access: 'shared' }).create({ text: 'shared' })
    await copyRecords(bob, carol)
    await carol.collection('board').update(notice, { text: 'edited by Carol' })

    // The creator renames it, Dave (role delete) renames it again, Alice (admin) removes it.
    await bob.collection('photos').update(id, { title: 'beach at dawn' })
    await copyRecords(bob, dave)
    await dave.collection('photos').update(id, { title: 'renamed by Dave' })
    await copyRecords(dave, alice)
    await alice.collection('photos').delete(id)
    await everyoneHoldsEverything([...all, carol])
    for (const t of [...all, carol]) {
      expect(t.collection('photos').get(id)).toBeUndefined()
      expect(t.collection('photos').get(own)).toEqual({ _id: own, title: 'by Carol, renamed' })
      expect(t.collection('board').get(notice)).toEqual({ _id: notice, text: 'edited by Carol' })
      expect(await t.skipped()).toEqual([])
    }
  })

  it('every replica skips a crafted change to another member\'s document by name, whatever order it arrives in, and applies it once the author\'s role allows it', async () => {
    const { alice, bob, dave, all } = await album()
    const invite = await alice.invite({ role: 'write' })
    const crafty = await rawPeer(invite, 'crafty')
    const id = await bob.collection('photos').create({ title: 'beach' })
    await everyoneHoldsEverything(all)
    const live = (t: ThreadDatabase): string => t.collection('photos').get(id) === undefined ? 'gone' : String(t.collection('photos').get(id)!.title)
    const photoInc = await createdIncarnation(bob, id, invite.epochs)

    // A rename, a removal and a create of a fresh incarnation under Bob's ID, each its own event; then one of her own.
    const crafted: RecordEnvelope[] = [
      crafty.join,
      await crafty.append(dbEvent(10, { op: 'patch', coll: 'photos', id, inc: photoInc, set: { title: 'renamed by Crafty' }, unset: [] })),
      await crafty.append(dbEvent(11, { op: 'delete', coll: 'photos', id, inc: photoInc })),
      await crafty.append(dbEvent(12, { op: 'create', coll: 'photos', id, inc: inc('mine now'), fields: { title: 'replaced by Crafty' } })),
      await crafty.append(dbEvent(13, { op: 'create', coll: 'photos', id: `${crafty.log}.own`, inc: inc('own'), fields: { title: 'Crafty\'s own' } }))
    ]
    // Alice gets them oldest first, Bob newest first (retried until each one's prev has come), Dave all at once.
    for (const record of crafted) expect(statuses(await alice.ingestMany([record]))).toEqual(['stored'])
    expect(await deliver(bob, [...crafted].reverse())).toEqual([])
    expect(statuses(await dave.ingestMany(crafted))).toEqual(['stored', 'stored', 'stored', 'stored', 'stored'])

    const refusedSeqs = [2, 3, 4]
    for (const t of all) {
      expect(live(t)).toBe('beach')
      expect(t.collection('photos').get(`${crafty.log}.own`)).toEqual({ _id: `${crafty.log}.own`, title: 'Crafty\'s own' })
      const skipped = await t.skipped()
      expect(skipped.map((s) => [s.kind, s.log, s.seq, s.reason])).toEqual(refusedSeqs.map((seq) => ['record', crafty.log, seq, 'DocumentAccessError']))
      expect(skipped[0]!.message).toContain(`belongs to log ${bob.logId}`)
      // A rebuild from the log judges them the same way.
      await t.rebuild('log')
      expect(live(t)).toBe('beach')
      expect((await t.skipped()).map((s) => s.record)).toEqual(skipped.map((s) => s.record))
    }
    expect(alice.dump()).toEqual(bob.dump())
    expect(bob.dump()).toEqual(dave.dump())

    // An admin who had seen only Crafty's join made her an editor (role delete) from there on: every replica
    // now applies the crafted events (the removal ends Bob's incarnation, the fresh create shows instead).
    await alice.writeAcl([{ type: 'role', member: crafty.log, role: 'delete', at: 1 }], { deps: [{ log: crafty.log, record: crafty.join.record, kind: 'acl' }] })
    const roleChange = (await alice.exportRecords()).filter((r) => r.log === alice.logId)
    for (const t of [bob, dave]) await deliver(t, roleChange)
    for (const t of all) {
      expect((await t.members.list()).find((m) => m.log === crafty.log)?.role).toBe('delete')
      expect(await t.skipped()).toEqual([])
      expect(live(t)).toBe('replaced by Crafty')
    }
    expect(alice.dump()).toEqual(bob.dump())
    expect(bob.dump()).toEqual(dave.dump())
  })
})
