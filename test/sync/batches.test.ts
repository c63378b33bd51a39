/**
 * Sync batches are bounded by bytes as well as count, on both sides: a writer
 * of 40 photos of ~1 MB each pushes them with default options in messages that
 * each stay under MAX_MESSAGE_BYTES, a pull response asked for 512 of them
 * holds as many as fit and never more, and a member pulls them all with
 * default options. Heads of a thread with more logs than one message holds
 * come in pages.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import { createThreadId } from '../../src/core/ids/thread-id.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread, type SyncTransport } from '../../src/core/sync/engine.ts'
import { createSyncHandler } from '../../src/core/sync/handler.ts'
import { createLoopbackTransport } from '../helpers/loopback.ts'
import { encodeMessage, MAX_ITEMS_PER_MESSAGE, MAX_MESSAGE_BYTES, type SyncRequest, type WireHead } from '../../src/core/sync/messages.ts'
import type { SyncReplica } from '../../src/core/sync/replica.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'

const PHOTOS = 40
const PHOTO_BYTES = 1_000_000

/** A transport that records the encoded size of every request and response it carries. */
function measured (inner: SyncTransport): { transport: SyncTransport, sizes: Array<{ type: string, request: number, response: number, records: number }> } {
  const sizes: Array<{ type: string, request: number, response: number, records: number }> = []
  return {
    sizes,
    transport: {
      async request (request, options) {
        const response = await inner.request(request, options)
        const records = response.type === 'records' ? response.records.length : request.type === 'push' ? request.records.length : 0
        sizes.push({ type: request.type, request: encodeMessage(request).length, response: encodeMessage(response).length, records })
        return response
      }
    }
  }
}

describe('sync batches by bytes', () => {
  it('40 photos of ~1 MB: pushed and pulled with default options, every message within the limit', { timeout: 180_000 }, async () => {
    const f = memoryFollower()
    const writer = openDatabase({ backend: createMemoryBackend() })
    const thread = await writer.createThread()
    const images = Array.from({ length: PHOTOS }, () => new Uint8Array(randomBytes(PHOTO_BYTES)))
    for (const [i, image] of images.entries()) await thread.collection('photos').create({ _id: `p${i}`, title: `photo ${i}`, image, imageType: 'image/jpeg' })
    expect((await f.transport.request(await thread.followRequest())).type).toBe('following')

    const up = measured(f.transport)
    expect(await syncThread({ thread: thread.id, replica: writer.syncReplica(), transport: up.transport })).toMatchObject({ pushed: PHOTOS, refused: [] })
    const pushes = up.sizes.filter((s) => s.type === 'push')
    expect(pushes.length).toBeGreaterThan(4) // 40 MB cannot go in fewer than five 8 MiB messages
    expect(pushes.reduce((n, s) => n + s.records, 0)).toBe(PHOTOS)
    for (const s of up.sizes) expect(s.request).toBeLessThanOrEqual(MAX_MESSAGE_BYTES)

    // One pull asking for everything gets as much as fits, and says there is more.
    const proof = await writer.syncReplica().pullProof!(thread.id, Date.now())
    const pull: SyncRequest = { v: 2, type: 'pull', thread: thread.id, from: [{ log: thread.logId, after: 0 }], limit: 512, proof }
    const first = await f.transport.request(pull)
    expect(first.type).toBe('records')
    if (first.type !== 'records') return
    expect(first.records.length).toBeGreaterThan(0)
    expect(first.records.length).toBeLessThan(PHOTOS)
    expect(first.more).toBe(true)
    expect(encodeMessage(first).length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES)
    // ...and as much as fits: one more record would not have.
    const [next] = await f.replica.recordsAfter(thread.id, thread.logId, first.records.length, 1)
    expect(() => encodeMessage({ ...first, records: [...first.records, next!] })).toThrow(expect.objectContaining({ name: 'TooLargeError' }))

    const reader = openDatabase({ backend: createMemoryBackend() })
    const joined = await reader.acceptInvite(await thread.invite({ role: 'admin' }))
    // The invite reaches the follower at once (the follower serves the reader only once it holds the reader's join).
    await syncThread({ thread: thread.id, replica: writer.syncReplica(), transport: f.transport })
    const down = measured(f.transport)
    expect(await syncThread({ thread: joined.id, replica: reader.syncReplica(), transport: down.transport })).toMatchObject({ pulled: PHOTOS + 2 }) // and the genesis and the invite
    for (const s of down.sizes) expect(s.response).toBeLessThanOrEqual(MAX_MESSAGE_BYTES)
    expect(joined.collection('photos').find({}).length).toBe(PHOTOS)
    expect(joined.collection('photos').get('p39')?.image).toEqual(images[39])
    await writer.close()
    await reader.close()
  })

  it('heads of more logs than one message holds come in pages, and a sync reads them all', { timeout: 120_000 }, async () => {
    const thread = createThreadId().toString()
    const record = 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    const heads: WireHead[] = Array.from({ length: MAX_ITEMS_PER_MESSAGE + 500 }, (_, i) => ({ log: generateLogIdentity().logId, seq: i + 1, record }))
    // A peer holding those heads (a stand-in: only heads are asked for when pushing nothing).
    const peer: SyncReplica = {
      hasThread: async () => true,
      heads: async () => heads,
      recordsAfter: async () => [],
      ingest: async () => []
    }
    const local: SyncReplica = { ...peer, heads: async () => [] }
    const wire = measured(createLoopbackTransport(createSyncHandler(peer)))
    const result = await syncThread({ thread, replica: local, transport: wire.transport })
    const pages = wire.sizes.filter((s) => s.type === 'heads')
    expect(pages).toHaveLength(2)
    for (const page of pages) expect(page.response).toBeLessThanOrEqual(MAX_MESSAGE_BYTES)
    expect(new Map(result.peerHeads.map((h) => [h.log, h.seq]))).toEqual(new Map(heads.map((h) => [h.log, h.seq])))
  })
})
