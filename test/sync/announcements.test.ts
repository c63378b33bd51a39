/**
 * Join announcements that cannot be used never stop a sync: a stranger's
 * self-signed announcement naming a member's log as `via` (which no member can
 * open), or an item a peer sends malformed, is skipped and reported in the
 * sync's result (and the scheduler's status), while the genuine joiner's
 * announcement in the same list is learnt and the sync goes on. Lists too long
 * for one message come in pages.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { seal, SEAL_OVERHEAD } from '../../src/core/crypto/aead.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread, type SyncTransport } from '../../src/core/sync/engine.ts'
import { joinAnnouncementSignedBytes } from '../../src/core/sync/invite.ts'
import { createLoopbackTransport } from '../../src/core/sync/loopback.ts'
import { encodeMessage, MAX_MESSAGE_BYTES, MAX_SEALED_ANNOUNCEMENT_BYTES, type SyncResponse } from '../../src/core/sync/messages.ts'
import { startSyncScheduler } from '../../src/core/sync/scheduler.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

/** A thread whose owner (a) and a joiner from its invite (j) both announced or followed at the follower, with a record each there. */
async function album () {
  const f = memoryFollower()
  const a = openDatabase({ backend: createMemoryBackend() })
  const ta = await a.createThread()
  await ta.collection('photos').create({ _id: 'a1', by: 'a' })
  expect((await f.transport.request(await ta.followRequest())).type).toBe('following')
  await syncThread({ thread: ta.id, replica: a.syncReplica(), transport: f.transport })
  const j = openDatabase({ backend: createMemoryBackend() })
  const tj = await j.acceptInvite(await ta.invite([]))
  await tj.collection('photos').create({ _id: 'j1', by: 'j' })
  expect((await f.transport.request(await tj.followRequest())).type).toBe('following')
  expect((await f.transport.request({ v: 2, type: 'announce', thread: ta.id, announcement: await tj.joinAnnouncement() })).type).toBe('announced')
  await syncThread({ thread: tj.id, replica: j.syncReplica(), transport: f.transport })
  return { f, a, ta, j, tj }
}

/**
 * A stranger's announcement: signed by its own new log, naming `via` as the
 * log it is sealed with, but sealed with a key nobody holds (`sealedBytes`
 * long, up to the largest allowed).
 */
async function strangersAnnouncement (thread: string, via: string, sealedBytes = 128) {
  const stranger = generateLogIdentity()
  const sealed = seal(randomBytes(32), randomBytes(sealedBytes - SEAL_OVERHEAD))
  const sig = await stranger.signer.sign(joinAnnouncementSignedBytes(thread, stranger.logId, via, sealed))
  return { stranger, announcement: { log: stranger.logId, via, sealed, sig } }
}

describe('announcements that cannot be used', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it("a stranger's announcement naming a member's log is skipped and reported, and the joiner's is still learnt", async () => {
    const { f, a, ta, j, tj } = await album()
    const { stranger, announcement } = await strangersAnnouncement(ta.id, ta.logId)
    // Followers cannot tell: the signature is the stranger's own, so it is kept and relayed.
    expect((await f.transport.request({ v: 2, type: 'announce', thread: ta.id, announcement })).type).toBe('announced')

    const result = await syncThread({ thread: ta.id, replica: a.syncReplica(), transport: f.transport })
    expect(result.skipped).toEqual([{ kind: 'announcement', log: stranger.logId, via: ta.logId, name: 'DecryptError', message: expect.any(String) }])
    expect(result.pulled).toBe(1) // the joiner's record, from the log its announcement added
    expect(ta.collection('photos').get('j1')).toEqual({ _id: 'j1', by: 'j' })

    // And again at every later sync: reported, never in the way.
    await tj.collection('photos').create({ _id: 'j2', by: 'j' })
    await syncThread({ thread: tj.id, replica: j.syncReplica(), transport: f.transport })
    const again = await syncThread({ thread: ta.id, replica: a.syncReplica(), transport: f.transport })
    expect(again.skipped).toMatchObject([{ log: stranger.logId, name: 'DecryptError' }])
    expect(again.pulled).toBe(1)
    expect(ta.collection('photos').get('j2')).toEqual({ _id: 'j2', by: 'j' })
  })

  it('a malformed item in a list a peer sends is skipped and reported; the others are learnt', async () => {
    const { f, a, ta } = await album()
    // A peer that adds a broken item to every announcements list it serves.
    const transport: SyncTransport = {
      async request (request, options) {
        const response = await f.transport.request(request, options)
        if (response.type !== 'announcements') return response
        const broken = { log: 'not-a-log', via: ta.logId, sealed: new Uint8Array(8), sig: new Uint8Array(3) }
        return await createLoopbackTransport(async () => ({ response: { ...response, announcements: [broken, ...response.announcements] } as SyncResponse, abusive: false })).request(request)
      }
    }
    const result = await syncThread({ thread: ta.id, replica: a.syncReplica(), transport })
    expect(result.skipped).toEqual([{ kind: 'announcement', log: 'not-a-log', via: ta.logId, name: 'MalformedMessageError', message: 'malformed join announcement' }])
    expect(ta.collection('photos').get('j1')).toEqual({ _id: 'j1', by: 'j' })
  })

  it('a list that cannot be had at all is reported, and the records still sync', async () => {
    const { f, a, ta } = await album()
    const transport: SyncTransport = {
      async request (request, options) {
        if (request.type === 'announcements') return { v: 2, type: 'error', name: 'TooLargeError', message: 'no' }
        return await f.transport.request(request, options)
      }
    }
    const result = await syncThread({ thread: ta.id, replica: a.syncReplica(), transport })
    expect(result.skipped).toEqual([{ kind: 'announcements', name: 'SyncRemoteError', message: 'peer answered TooLargeError: no' }])
    expect(result.refused).toEqual([])
  })

  it('the scheduler reports what its last sync skipped', async () => {
    const { f, a, ta } = await album()
    const { stranger, announcement } = await strangersAnnouncement(ta.id, ta.logId)
    await f.transport.request({ v: 2, type: 'announce', thread: ta.id, announcement })
    const backend = createMemoryBackend()
    const scheduler = startSyncScheduler({ thread: ta.id, peer: 'f', transport: f.transport, replica: a.syncReplica(), meta: backend.meta, intervalMs: 600_000 })
    try {
      await expect.poll(() => scheduler.status().state, { timeout: 30_000 }).toBe('synced')
      expect(scheduler.status().skipped).toMatchObject([{ kind: 'announcement', log: stranger.logId, name: 'DecryptError' }])
    } finally {
      await scheduler.stop()
    }
  })

  it('a list too long for one message comes in pages, each within the limit, and the joiner is found among strangers', { timeout: 120_000 }, async () => {
    const { f, a, ta } = await album()
    // ~2,000 announcements of ~4 KiB each: about twice what one message holds.
    const strangers = await Promise.all(Array.from({ length: 2000 }, async () => (await strangersAnnouncement(ta.id, ta.logId, MAX_SEALED_ANNOUNCEMENT_BYTES)).announcement))
    for (const announcement of strangers) expect((await f.transport.request({ v: 2, type: 'announce', thread: ta.id, announcement })).type).toBe('announced')
    const sizes: number[] = []
    const transport: SyncTransport = {
      async request (request, options) {
        const response = await f.transport.request(request, options)
        if (response.type === 'announcements') sizes.push(encodeMessage(response).length)
        return response
      }
    }
    const result = await syncThread({ thread: ta.id, replica: a.syncReplica(), transport })
    expect(sizes.length).toBeGreaterThan(1)
    for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_MESSAGE_BYTES)
    expect(result.skipped).toHaveLength(2000)
    expect(new Set(result.skipped.map((s) => s.log))).toEqual(new Set(strangers.map((s) => s.log)))
    expect(ta.collection('photos').get('j1')).toEqual({ _id: 'j1', by: 'j' })
  })
})
