/**
 * The document rule across a real follower process (over HTTP): a
 * contributor who crafts database events renaming and removing another
 * contributor's photo gets them stored by the follower, which cannot read
 * them, and every member ignores them the same way, reporting them by name;
 * an admin still removes the photo.
 */
import { describe, expect, it } from 'vitest'
import type { ThreadDatabase } from '../../src/core/db/index.ts'
import { cleanupAfterAll } from '../helpers/cleanup.ts'
import { followerOverHttp } from '../helpers/followed-album.ts'
import { membersAtFollower } from '../helpers/follower-members.ts'
import { createdIncarnation, dbEvent, rawPeer } from '../db/raw-peer.ts'

/** The album's photos, declared as the album declares them: only a photo's creator, an editor or an admin may change it. */
const photosOf = (t: ThreadDatabase): ReturnType<ThreadDatabase['collection']> => t.collection('photos', { access: 'creator' })

describe('documents bound to their creator, across a real follower', { timeout: 180_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('every member ignores a contributor\'s crafted rename and removal of another contributor\'s photo, the same way; an admin still removes it', async () => {
    const { follower, http } = await followerOverHttp('threads-doc-access-', cleanup)
    const { owner, members: joined } = await membersAtFollower(http, ['write', 'write'])
    const carolInvite = await owner.thread.invite({ role: 'write' })
    const alice = owner.thread
    const bob = joined[0]!.thread
    const members = [owner, ...joined]
    const syncAll = async (): Promise<void> => {
      for (let round = 0; round < 2; round++) for (const m of members) expect(await m.sync()).toMatchObject({ refused: [] })
    }
    await syncAll()

    // Bob adds a photo; everyone sees it.
    const photo = await photosOf(bob).create({ title: 'Beach at dawn' })
    await syncAll()
    for (const { thread: t } of members) expect(photosOf(t).get(photo)).toEqual({ _id: photo, title: 'Beach at dawn' })

    // Carol, a contributor, crafts a rename and a removal of Bob's photo by hand. The follower cannot read
    // them: it stores them as any writer's records.
    const carol = await rawPeer(carolInvite, 'carol-crafts')
    const photoInc = await createdIncarnation(bob, photo, carolInvite.epochs)
    const crafted = [
      await carol.append(dbEvent(50, { op: 'patch', coll: 'photos', id: photo, inc: photoInc, set: { title: 'Renamed by Carol' }, unset: [] })),
      await carol.append(dbEvent(51, { op: 'delete', coll: 'photos', id: photo, inc: photoInc }))
    ]
    expect(await http.request({ v: 2, type: 'push', thread: alice.id, records: [carol.join, ...crafted] })).toMatchObject({ type: 'pushed', stored: 3, rejected: [] })

    // Every member receives them, stores them, and ignores them the same way, reporting them by name.
    await syncAll()
    const reports: unknown[] = []
    for (const { thread: t } of members) {
      expect((await t.heads()).find((h) => h.log === carol.log)?.seq).toBe(3)
      expect(photosOf(t).get(photo)).toEqual({ _id: photo, title: 'Beach at dawn' })
      const skipped = await t.skipped()
      expect(skipped.map((s) => [s.kind, s.record, s.reason])).toEqual(crafted.map((r) => ['record', r.record, 'DocumentAccessError']))
      reports.push(skipped)
    }
    expect(reports[1]).toEqual(reports[0])
    expect(reports[2]).toEqual(reports[0])

    // Alice, an admin, removes it: every member applies that.
    await photosOf(alice).delete(photo)
    await syncAll()
    for (const { thread: t } of members) {
      expect(photosOf(t).get(photo)).toBeUndefined()
      expect(await t.skipped()).toEqual(reports[0])
    }
  })
})
