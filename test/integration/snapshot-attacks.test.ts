/**
 * What a real follower process does with snapshots from those who may not
 * publish or read them: a reader's snapshot signed with its own log key is
 * refused (SnapshotPublisherError) and not served; a stranger who knows the
 * thread ID gets NotAMemberError for `snapshot-get`, with or without a proof
 * of its own; an older snapshot cannot replace a newer one (StaleSnapshotError).
 */
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { createPullProof } from '../../src/core/sync/pull-proof.ts'
import { remoteSnapshotShelf } from '../../src/core/sync/snapshot-shelf.ts'
import { cleanupAfterAll } from '../helpers/cleanup.ts'
import { followerOverHttp } from '../helpers/followed-album.ts'
import { forge, identityOf } from '../helpers/snapshot-forge.ts'

describe('snapshots on a follower process, from those who may not publish or read them', { timeout: 120_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('refuses a reader\'s snapshot and an older one, and serves none to a stranger', async () => {
    const { follower, http } = await followerOverHttp('threads-snapshot-attacks-', cleanup)
    const shelf = remoteSnapshotShelf(async (r) => await http.request(r))
    const aliceDb = openDatabase({ backend: createMemoryBackend() })
    const album = await aliceDb.createThread()
    for (let i = 0; i < 5; i++) await album.collection('photos').create({ _id: `p${i}`, title: `Photo ${i}` })
    expect(await http.request(await album.followRequest())).toMatchObject({ type: 'following' })
    const invite = await album.invite({ role: 'read' })
    await syncThread({ thread: album.id, replica: aliceDb.syncReplica(), transport: http })
    const older = await album.publishSnapshot()
    await album.collection('photos').create({ _id: 'p5', title: 'Photo 5' })
    await syncThread({ thread: album.id, replica: aliceDb.syncReplica(), transport: http })

    // Bob, a reader whose join the follower holds, signs a snapshot with his log key at his own position.
    const bobBackend = createMemoryBackend()
    const bobDb = openDatabase({ backend: bobBackend })
    const bob = await bobDb.acceptInvite(invite)
    await syncThread({ thread: album.id, replica: bobDb.syncReplica(), transport: http })
    const bobHead = (await bob.heads()).find((h) => h.log === bob.logId)!
    const readers = await forge({ thread: bob, backend: bobBackend, honest: older, positions: (p) => [...p, bobHead] })
    await expect(shelf.put(album.id, readers)).rejects.toMatchObject({ remoteName: 'SnapshotPublisherError' })
    const get = async (proof?: Awaited<ReturnType<typeof createPullProof>>): Promise<unknown> => await http.request({ v: 2, type: 'snapshot-get', thread: album.id, ...proof === undefined ? {} : { proof } })
    const alicesProof = async (): Promise<Awaited<ReturnType<typeof createPullProof>>> => (await aliceDb.syncReplica().pullProof!(album.id, Date.now()))!
    expect(await get(await alicesProof())).toEqual({ v: 2, type: 'snapshot', thread: album.id })

    // Alice's newer snapshot is kept; her older one cannot replace it.
    const newer = await album.publishSnapshot()
    await shelf.put(album.id, newer)
    await expect(shelf.put(album.id, older)).rejects.toMatchObject({ remoteName: 'StaleSnapshotError' })
    expect(await get(await alicesProof())).toMatchObject({ type: 'snapshot', snapshot: { root: { cid: newer.root.cid } } })

    // A stranger who knows the thread ID: no proof, or a proof signed by a key that is no member's.
    const mallory = generateLogIdentity()
    for (const proof of [undefined, await createPullProof({ thread: album.id, peer: Date.now(), member: mallory })]) {
      expect(await get(proof)).toEqual({ v: 2, type: 'error', name: 'NotAMemberError', message: expect.stringContaining('members') })
    }
  })
})
