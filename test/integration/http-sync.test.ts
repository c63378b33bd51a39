/**
 * Sync over plain HTTP against a real follower process (paper §3.2.3): a
 * writer with no libp2p node flushes its outbox with POSTs (push only, as a
 * service worker does with no tab open), and a reader pulls everything over
 * HTTP too. A malformed request is answered with a named error and changes
 * nothing on the follower.
 */
import { describe, expect, it } from 'vitest'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { decodeResponse } from '../../src/core/sync/messages.ts'
import { flushOutbox, pendingFor } from '../../src/core/sync/outbox.ts'
import { startFollowerProcess } from '../helpers/follower-process.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'

describe('sync over HTTP', { timeout: 120_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('flushes an outbox by POST and lets an HTTP reader pull it all', async () => {
    const dataDir = await tempDir('threads-http-', cleanup)
    const follower = await startFollowerProcess(dataDir)
    cleanup(async () => await follower.stop())
    const http = httpSyncTransport(follower.httpUrl)

    const backend = createMemoryBackend()
    const writer = openDatabase({ backend })
    const thread = await writer.createThread({ name: 'Trip' })
    expect((await http.request(await thread.followRequest())).type).toBe('following')
    const photos = thread.collection('photos')
    for (let i = 0; i < 300; i++) await photos.create({ _id: `p${i}`, title: `photo ${i}` })
    const replica = writer.syncReplica()
    // The photos, and the genesis: the follower took it with the follow request, but no sync acknowledged it yet.
    expect(await pendingFor(backend.meta, replica, thread.id, follower.multiaddr)).toBe(301)

    const flushed = await flushOutbox({ threads: [thread.id], peer: follower.multiaddr, transport: http, replica, meta: backend.meta })
    expect(flushed).toEqual([{ thread: thread.id, pushed: 300 }])
    expect(await pendingFor(backend.meta, replica, thread.id, follower.multiaddr)).toBe(0)
    expect(await flushOutbox({ threads: [thread.id], peer: follower.multiaddr, transport: http, replica, meta: backend.meta })).toEqual([])

    // Garbage gets a named error in a sync message, and the follower's heads do not move.
    const before = await http.request({ v: 2, type: 'heads', thread: thread.id })
    const answer = await fetch(`${follower.httpUrl}/v1/sync`, { method: 'POST', headers: { 'content-type': 'application/vnd.ipld.dag-cbor' }, body: new Uint8Array([0xa1, 0x01, 0xff]) })
    expect(answer.status).toBe(400)
    expect(decodeResponse(new Uint8Array(await answer.arrayBuffer()))).toMatchObject({ type: 'error', name: expect.stringMatching(/Error$/) })
    expect(await http.request({ v: 2, type: 'heads', thread: thread.id })).toEqual(before)

    const reader = openDatabase({ backend: createMemoryBackend() })
    const invite = await thread.invite({ role: 'read' })
    await flushOutbox({ threads: [thread.id], peer: follower.multiaddr, transport: http, replica, meta: backend.meta })
    const joined = await reader.acceptInvite(invite)
    const pulled = await syncThread({ thread: joined.id, replica: reader.syncReplica(), transport: http })
    // The genesis, the invite and the photos; the reader's join went up.
    expect(pulled).toMatchObject({ pulled: 302, pushed: 1, refused: [] })
    expect(joined.collection('photos').find({}).length).toBe(300)
    expect(joined.collection('photos').find({ _id: 'p299' })[0]?.title).toBe('photo 299')
  })

  it('names the follower it could not reach', async () => {
    const http = httpSyncTransport('http://127.0.0.1:9')
    await expect(http.request({ v: 2, type: 'heads', thread: 'bafy' })).rejects.toMatchObject({ name: 'HttpSyncError', message: expect.stringContaining('could not be reached') })
  })
})
