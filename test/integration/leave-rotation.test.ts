/**
 * Rotation after a leave, across a real follower process (over HTTP): Bob
 * leaves; once the owner's node pulls the leave it rotates the keys, hands
 * the follower the new follow key, and what it writes afterwards reaches the
 * remaining members and opens with no key Bob ever held.
 */
import { describe, expect, it } from 'vitest'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { createKeyring } from '../../src/core/log/keyring.ts'
import { openHeader, openRecordUnsigned } from '../../src/core/log/open-record.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { startFollowerProcess } from '../helpers/follower-process.ts'

describe('rotation after a leave, across a real follower', { timeout: 180_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('after Bob leaves and the owner\'s node pulls it, a marker written afterwards reaches Carol and opens with no key Bob held', async () => {
    const follower = await startFollowerProcess(await tempDir('threads-leave-', cleanup))
    cleanup(async () => await follower.stop())
    const http = httpSyncTransport(follower.httpUrl)
    const aliceBackend = createMemoryBackend()
    const aliceDb = openDatabase({ backend: aliceBackend })
    const alice = await aliceDb.createThread({ name: 'Trip' })
    expect(await http.request(await alice.followRequest())).toMatchObject({ type: 'following' })
    const bobInvite = await alice.invite({ role: 'write' })
    const carolInvite = await alice.invite({ role: 'read' })
    const sync = async (db: typeof aliceDb, thread: typeof alice): Promise<Awaited<ReturnType<typeof syncThread>>> =>
      await syncThread({ thread: thread.id, replica: db.syncReplica(), transport: http })
    await sync(aliceDb, alice)
    const bobBackend = createMemoryBackend()
    const bobDb = openDatabase({ backend: bobBackend })
    const bob = await bobDb.acceptInvite(bobInvite)
    const carolDb = openDatabase({ backend: createMemoryBackend() })
    const carol = await carolDb.acceptInvite(carolInvite)
    for (const t of [bob, carol]) expect(await http.request(await t.followRequest())).toMatchObject({ type: 'following' })
    await sync(bobDb, bob)
    await sync(carolDb, carol)
    await sync(aliceDb, alice)
    expect((await alice.members.list()).map((m) => m.role).sort()).toEqual(['admin', 'read', 'write'])

    // Bob leaves and his node tells the follower.
    await bob.members.leave()
    expect(await sync(bobDb, bob)).toMatchObject({ refused: [] })

    // Alice's node pulls the leave and rotates on its own; it pushes the rotation, then hands over the new follow key.
    await sync(aliceDb, alice)
    const aliceEpochs = await createKeyBook(aliceBackend.meta).epochs(alice.id)
    expect(aliceEpochs).toHaveLength(2)
    expect((await alice.members.list()).find((m) => m.log === bob.logId)?.role).toBe('none')
    expect(await sync(aliceDb, alice)).toMatchObject({ refused: [] })
    expect(await http.request(await alice.followRequest())).toMatchObject({ type: 'following' })
    const marker = 'PLAINTEXT-AFTER-BOB-LEFT'
    await alice.collection('notes').create({ _id: 'after', title: marker })
    expect(await sync(aliceDb, alice)).toMatchObject({ pushed: 1, refused: [] })

    // Carol, still a member, opens her share of the new epoch and reads it.
    await sync(carolDb, carol)
    expect(carol.collection('notes').get('after')).toEqual({ _id: 'after', title: marker })

    // Bob holds Alice's record written after the rotation, and no key he ever held opens it.
    const after = (await alice.exportRecords()).filter((r) => r.log === alice.logId).at(-1)!
    expect((await bob.ingestMany([after])).map((o) => o instanceof Error ? o.name : o.status)).toEqual(['UnknownEpochError'])
    const bobsEpochs = await createKeyBook(bobBackend.meta).epochs(bob.id)
    expect(bobsEpochs).toHaveLength(1)
    for (const epoch of bobsEpochs) {
      expect(() => openRecordUnsigned(after.blocks[0]!, createKeyring([epoch]))).toThrow(expect.objectContaining({ name: 'UnknownEpochError' }))
      for (const key of [epoch.followKey, epoch.readKey!]) expect(() => openHeader(after.blocks[2]!, key)).toThrow(expect.objectContaining({ name: 'DecryptError' }))
    }
    for (const block of after.blocks) expect(Buffer.from(block.bytes).includes(Buffer.from(marker))).toBe(false)
  })
})
