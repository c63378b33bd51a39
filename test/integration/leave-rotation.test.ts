/**
 * Rotation after a leave, across a real follower process (over HTTP): Bob
 * leaves; once the owner's node pulls the leave it rotates the keys, hands
 * the follower the new follow key, and what it writes afterwards reaches the
 * remaining members and opens with no key Bob ever held.
 */
import { describe, expect, it } from 'vitest'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { cleanupAfterAll } from '../helpers/cleanup.ts'
import { followerOverHttp } from '../helpers/followed-album.ts'
import { expectSealedFrom, membersAtFollower } from '../helpers/follower-members.ts'

describe('rotation after a leave, across a real follower', { timeout: 180_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('after Bob leaves and the owner\'s node pulls it, a marker written afterwards reaches Carol and opens with no key Bob held', async () => {
    const { follower, http } = await followerOverHttp('threads-leave-', cleanup)
    const { owner: alice, members: [bob, carol] } = await membersAtFollower(http, ['write', 'read'])
    expect((await alice.thread.members.list()).map((m) => m.role).sort()).toEqual(['admin', 'read', 'write'])

    // Bob leaves and his node tells the follower.
    await bob!.thread.members.leave()
    expect(await bob!.sync()).toMatchObject({ refused: [] })

    // Alice's node pulls the leave and rotates on its own; it pushes the rotation, then hands over the new follow key.
    await alice.sync()
    expect(await createKeyBook(alice.backend.meta).epochs(alice.thread.id)).toHaveLength(2)
    expect((await alice.thread.members.list()).find((m) => m.log === bob!.thread.logId)?.role).toBe('none')
    expect(await alice.sync()).toMatchObject({ refused: [] })
    expect(await http.request(await alice.thread.followRequest())).toMatchObject({ type: 'following' })
    const marker = 'PLAINTEXT-AFTER-BOB-LEFT'
    await alice.thread.collection('notes').create({ _id: 'after', title: marker })
    expect(await alice.sync()).toMatchObject({ pushed: 1, refused: [] })

    // Carol, still a member, opens her share of the new epoch and reads it (a second sync takes what
    // the first left out until the rotation was in).
    await carol!.sync()
    await carol!.sync()
    expect(carol!.thread.collection('notes').get('after')).toEqual({ _id: 'after', title: marker })

    // Bob holds Alice's record written after the rotation, and no key he ever held opens it.
    const after = (await alice.thread.exportRecords()).filter((r) => r.log === alice.thread.logId).at(-1)!
    expect((await bob!.thread.ingestMany([after])).map((o) => o instanceof Error ? o.name : o.status)).toEqual(['UnknownEpochError'])
    expect(await createKeyBook(bob!.backend.meta).epochs(bob!.thread.id)).toHaveLength(1)
    await expectSealedFrom(after, bob!, marker)
  })
})
