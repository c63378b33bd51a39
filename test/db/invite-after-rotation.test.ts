/**
 * A link made before a removal still lets its holder join afterwards: each
 * rotation seals its new epoch's keys to the outstanding invite, and the
 * joiner opens those shares rotation by rotation while catching up, so it
 * reads what was written after them. The removed member cannot open them.
 */
import { describe, expect, it } from 'vitest'
import { openShare } from '../../src/core/acl/epoch-keys.ts'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { createAdmission } from '../../src/core/log/admission.ts'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { copyRecords } from '../helpers/copy-records.ts'
import { createInviteLink, parseInviteLink } from '../../src/core/sync/invite.ts'

const sync = copyRecords

describe('joining with a link made before a rotation', () => {
  it('lets the link\'s holder read what is written after two removals, and not the removed members', async () => {
    const alice = await openDatabase({ backend: createMemoryBackend() }).createThread()
    await alice.collection('photos').create({ _id: 'p1', title: 'before' })
    const bobBackend = createMemoryBackend()
    const bob = await openDatabase({ backend: bobBackend }).acceptInvite(await alice.invite({ role: 'write' }))
    const carol = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(await alice.invite({ role: 'admin' }))
    await sync(bob, alice)
    await sync(carol, alice)
    // The link is made now, then Bob and Carol are removed: two rotations the link predates.
    const link = createInviteLink('https://album.example/', await alice.invite({ role: 'read' }))
    expect(await alice.members.remove(bob.logId)).toEqual({ refollow: true })
    expect(await alice.members.remove(carol.logId)).toEqual({ refollow: true })
    await alice.collection('photos').create({ _id: 'p2', title: 'after the removals' })

    const dave = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(parseInviteLink(link))
    await sync(alice, dave)
    expect(dave.collection('photos').get('p2')).toEqual({ _id: 'p2', title: 'after the removals' })
    expect(await dave.members.role()).toBe('read')
    await sync(dave, alice)
    expect((await alice.members.list()).find((m) => m.log === dave.logId)?.role).toBe('read')

    // Bob receives everything, but what was written after his removal stays shut to him.
    await sync(alice, bob)
    expect(bob.collection('photos').get('p1')).toEqual({ _id: 'p1', title: 'before' })
    expect(bob.collection('photos').get('p2')).toBeUndefined()
    // Nor does the invite's share open with his key.
    const keys = createKeyBook(bobBackend.meta)
    const bobs = await keys.self(alice.id)
    const invite = parseInviteLink(link).via.record
    const shares = await createAdmission({ thread: alice.id, records: createRecordStore({ backend: bobBackend }) }).sharesFor(invite, await keys.keyring(alice.id))
    expect(shares).toHaveLength(1) // the first rotation, sealed with a key Bob held; the second he cannot read
    for (const { share, keyId } of shares) {
      await expect(openShare({ thread: alice.id, share, keyId, secretKey: bobs.x25519Secret, log: invite })).rejects.toMatchObject({ name: 'DecryptError' })
    }
  })
})
