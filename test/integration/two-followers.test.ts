/**
 * One thread on two real follower processes. Followers do not talk to each
 * other: members carry records between them, as every album syncs with every
 * follower it knows. Records pushed to one follower only reach the other
 * once a member syncs with both, and then the two hold the same heads; a
 * joiner whose invite names both is served by either alone, over libp2p or
 * HTTP, whichever follower the others used.
 */
import { describe, expect, it } from 'vitest'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { startSyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread, type SyncTransport } from '../../src/core/sync/engine.ts'
import { createInviteLink, parseInviteLink } from '../../src/core/sync/invite.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'

describe('two followers of one thread', { timeout: 180_000 }, () => {
  const cleanup = cleanupAfterAll()

  const follower = async (): Promise<FollowerProcess> => {
    const started = await startFollowerProcess(await tempDir('threads-two-followers-', cleanup))
    cleanup(async () => await started.stop())
    return started
  }
  const libp2pTo = async (f: FollowerProcess): Promise<SyncTransport> => {
    const peer = await startSyncPeer()
    cleanup(async () => await peer.stop())
    return peer.transportTo(f.multiaddr)
  }
  /** What a follower holds of the thread, as a member reads it: its heads. */
  const headsAt = async (thread: ThreadDatabase, db: ReturnType<typeof openDatabase>, transport: SyncTransport): Promise<unknown> => {
    const response = await transport.request({ v: 2, type: 'heads', thread: thread.id, proof: await db.syncReplica().pullProof!(thread.id, transport.proofPeer?.() ?? Date.now()) })
    if (response.type !== 'heads') throw new Error(`no heads: ${JSON.stringify(response)}`)
    return response.heads.slice().sort((a, b) => a.log < b.log ? -1 : 1)
  }

  it('converge through a member that syncs with both, and either serves a joiner on its own', async () => {
    const [one, two] = [await follower(), await follower()]
    const alice = openDatabase({ backend: createMemoryBackend() })
    const summer = await alice.createThread({ name: 'Summer' })
    const aliceToOne = await libp2pTo(one)
    const aliceToTwo = httpSyncTransport(two.httpUrl)
    for (const transport of [aliceToOne, aliceToTwo]) expect((await transport.request(await summer.followRequest())).type).toBe('following')
    await summer.addAddresses(summer.logId, [one.multiaddr, two.multiaddr], 60_000)

    // Bob joins through the first follower and writes there only; Alice writes to the second only.
    const bob = openDatabase({ backend: createMemoryBackend() })
    await syncThread({ thread: summer.id, replica: alice.syncReplica(), transport: aliceToOne })
    const bobsInvite = parseInviteLink(createInviteLink('http://127.0.0.1:4173/', await summer.invite({ role: 'write' })))
    await syncThread({ thread: summer.id, replica: alice.syncReplica(), transport: aliceToOne })
    const bobs = await bob.acceptInvite(bobsInvite)
    const bobToOne = await libp2pTo(one)
    expect((await bobToOne.request(await bobs.followRequest())).type).toBe('following')
    await bobs.collection('photos').create({ _id: 'dunes', by: 'bob' })
    await syncThread({ thread: bobs.id, replica: bob.syncReplica(), transport: bobToOne })
    await summer.collection('photos').create({ _id: 'beach', by: 'alice' })
    await syncThread({ thread: summer.id, replica: alice.syncReplica(), transport: aliceToTwo })
    expect(await headsAt(summer, alice, aliceToOne)).not.toEqual(await headsAt(summer, alice, aliceToTwo))

    // Alice's node syncs with both followers, as every album does: each gets what the other had.
    for (let round = 0; round < 2; round++) {
      for (const transport of [aliceToOne, aliceToTwo]) await syncThread({ thread: summer.id, replica: alice.syncReplica(), transport })
    }
    const held = await headsAt(summer, alice, aliceToOne)
    expect(await headsAt(summer, alice, aliceToTwo)).toEqual(held)
    expect((held as unknown[]).length).toBe(2)

    // A new invite, naming both followers; each of two joiners reaches one of them only.
    await summer.collection('photos').create({ _id: 'pier', by: 'alice' })
    const link = createInviteLink('http://127.0.0.1:4173/', await summer.invite({ role: 'read' }))
    for (const transport of [aliceToOne, aliceToTwo]) await syncThread({ thread: summer.id, replica: alice.syncReplica(), transport })
    const invite = parseInviteLink(link)
    expect(invite.addrs).toEqual(expect.arrayContaining([one.multiaddr, two.multiaddr]))
    for (const [name, reach] of [['over libp2p to the first', async () => await libp2pTo(one)], ['over HTTP to the second', async () => httpSyncTransport(two.httpUrl)]] as const) {
      const db = openDatabase({ backend: createMemoryBackend() })
      const joined = await db.acceptInvite(invite)
      const transport = await reach()
      expect((await transport.request(await joined.followRequest())).type, name).toBe('following')
      await syncThread({ thread: joined.id, replica: db.syncReplica(), transport })
      expect(joined.collection('photos').find({}, { sort: { _id: 1 } }).map((d) => d._id), name).toEqual(['beach', 'dunes', 'pier'])
    }
  })
})
