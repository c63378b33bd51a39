/**
 * Invites and joins through a real follower process: a share link carries the
 * thread's epoch keys and the invite key only in its fragment; the joiner's
 * log opens with a join ACL event depending on the invite record, and the
 * inviter finds the new log through the follower's heads at its next sync.
 * The follower holds follow keys and never a read key.
 */
import { describe, expect, it } from 'vitest'
import { startSyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { createInviteLink, parseInviteLink } from '../../src/core/sync/invite.ts'
import { startFollowerProcess } from '../helpers/follower-process.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { allBytes } from '../helpers/disk-bytes.ts'

describe('invite and join', { timeout: 120_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('a joiner from a share link writes, and the inviter reads it after finding the new log in the follower\'s heads', async () => {
    const dataDir = await tempDir('threads-invite-', cleanup)
    const follower = await startFollowerProcess(dataDir)
    cleanup(async () => await follower.stop())

    const a = openDatabase({ backend: createMemoryBackend() })
    const ta = await a.createThread({ name: 'Summer' })
    await ta.collection('photos').create({ _id: 'beach', by: 'alice' })
    const alice = await startSyncPeer()
    cleanup(async () => await alice.stop())
    const toFollowerA = alice.transportTo(follower.multiaddr)
    await toFollowerA.request(await ta.followRequest())
    await syncThread({ thread: ta.id, replica: a.syncReplica(), transport: toFollowerA })

    await ta.addAddresses(ta.logId, [follower.multiaddr], 60_000)
    const link = createInviteLink('http://127.0.0.1:4173/album?x=1', await ta.invite({ role: 'write' }))
    // The invite record reaches the follower before anyone joins through it.
    await syncThread({ thread: ta.id, replica: a.syncReplica(), transport: toFollowerA })
    const url = new URL(link)
    expect(url.hash.startsWith('#invite=')).toBe(true)
    expect(url.pathname + url.search).toBe('/album?x=1') // nothing secret outside the fragment
    expect(() => parseInviteLink('http://127.0.0.1:4173/#invite=AAAA')).toThrow(expect.objectContaining({ name: 'InvalidInviteError' }))

    const invite = parseInviteLink(link)
    const b = openDatabase({ backend: createMemoryBackend() })
    const tb = await b.acceptInvite(invite)
    expect(await tb.addresses(ta.logId)).toEqual([follower.multiaddr]) // learnt from the invite
    const bob = await startSyncPeer()
    cleanup(async () => await bob.stop())
    const toFollowerB = bob.transportTo(invite.addrs[0]!)
    // B's follow request carries its join, which admits its log at the follower.
    expect((await toFollowerB.request(await tb.followRequest())).type).toBe('following')
    await tb.collection('photos').create({ _id: 'dunes', by: 'bob' })
    await syncThread({ thread: tb.id, replica: b.syncReplica(), transport: toFollowerB })
    expect(tb.collection('photos').get('beach')).toEqual({ _id: 'beach', by: 'alice' })

    await syncThread({ thread: ta.id, replica: a.syncReplica(), transport: toFollowerA })
    expect(ta.collection('photos').get('dunes')).toEqual({ _id: 'dunes', by: 'bob' })
    expect(ta.dump()).toEqual(tb.dump())

    expect((await ta.heads()).map((h) => h.log).sort()).toEqual([ta.logId, tb.logId].sort())

    const stored = await allBytes(dataDir)
    const [epoch] = invite.epochs
    expect(stored.includes(Buffer.from(epoch!.readKey!))).toBe(false)
    expect(stored.includes(Buffer.from(invite.secret))).toBe(false)
    expect(stored.includes(Buffer.from(epoch!.followKey))).toBe(true) // it does hold follow keys
  })
})
