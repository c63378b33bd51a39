/**
 * Sync between replicas over the loopback transport (real wire encoding): a
 * writer pushes to a follower holding follow keys only; another member pulls
 * everything from the follower alone and ends with the writer's views; a peer
 * pushing tampered records is refused and flagged.
 */
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread, type SyncTransport } from '../../src/core/sync/engine.ts'
import { createFollowRequest } from '../../src/core/sync/follow-request.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

async function members () {
  const a = openDatabase({ backend: createMemoryBackend() })
  const b = openDatabase({ backend: createMemoryBackend() })
  const ta = await a.createThread()
  const tb = await b.acceptInvite(await ta.invite({ role: 'admin' }))
  return { a, b, ta, tb }
}

describe('sync engine', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('pushes to a follower that cannot read, and a member pulls everything from it', async () => {
    const { a, b, ta, tb } = await members()
    const f = memoryFollower()
    const photos = ta.collection('photos')
    await Promise.all(Array.from({ length: 600 }, async (_, i) => await photos.create({ _id: `p${i}`, marker: `PLAINTEXT-${i}` })))
    await tb.collection('photos').create({ _id: 'from-b', by: 'b' })

    expect((await f.transport.request(await ta.followRequest())).type).toBe('following')
    // The follower holds the follow key of the thread's epoch, and no read key.
    expect((await f.keys.epochs(ta.id)).map((e) => [e.epoch, e.readKey])).toEqual([[0, undefined]])
    const progress: number[] = []
    const up = await syncThread({ thread: ta.id, replica: a.syncReplica(), transport: f.transport, batchSize: 100, onProgress: (p) => progress.push(p.done) })
    // The follower took the genesis with the follow request; A's invite and 600 photos follow.
    expect(up).toMatchObject({ pulled: 0, pushed: 601, refused: [] })
    expect(progress.at(-1)).toBe(601)
    // B pushes its join and its own record, and pulls A's whole log (genesis, invite, 600 photos) from the follower alone.
    const down = await syncThread({ thread: tb.id, replica: b.syncReplica(), transport: f.transport, batchSize: 128 })
    expect(down).toMatchObject({ pulled: 602, pushed: 2 })
    await syncThread({ thread: ta.id, replica: a.syncReplica(), transport: f.transport })
    expect(tb.dump()).toEqual(ta.dump())
    expect(ta.collection('photos').get('from-b')).toEqual({ _id: 'from-b', by: 'b' })

    // The follower never saw a plaintext marker.
    const needle = Buffer.from('PLAINTEXT-')
    for await (const [, value] of f.backend.meta.list('')) expect(Buffer.from(value).includes(needle)).toBe(false)
    const head = await f.backend.meta.get(`head/${ta.id}/${ta.logId}`)
    expect(head).toBeDefined()
    expect(f.abuse()).toBe(0)
    await a.close()
    await b.close()
  })

  it('refuses tampered pushed records, stores nothing of them and flags the peer', async () => {
    const { a, ta } = await members()
    const f = memoryFollower()
    await f.transport.request(await ta.followRequest())
    await ta.collection('photos').create({ _id: 'p', title: 'real' })
    const envelope = (await ta.exportRecords()).at(-1)
    const body = envelope!.blocks[3]!
    const tampered = { ...envelope!, blocks: [...envelope!.blocks.slice(0, 3), { cid: body.cid, bytes: body.bytes.map((x, i) => i === 10 ? x ^ 1 : x) }] }
    const response = await f.transport.request({ v: 2, type: 'push', thread: ta.id, records: [tampered] })
    expect(response).toMatchObject({ type: 'pushed', stored: 0, rejected: [{ name: 'BadCidError' }] })
    expect(f.abuse()).toBe(1)
    expect(await f.backend.blocks.has(envelope!.record)).toBe(false)
    // A forged follow request (its signature is not the signer's) is refused too.
    const forged = { ...(await ta.followRequest()), by: generateLogIdentity().logId }
    expect(await f.transport.request(forged)).toMatchObject({ type: 'error', name: 'BadSignatureError' })
    // A stranger's own well-signed request for a thread it is not a member of is refused by name.
    const stranger = generateLogIdentity()
    const strangers = await createFollowRequest({ thread: ta.id, followKeys: [new Uint8Array(32).fill(9)], member: stranger })
    expect(await f.transport.request(strangers)).toMatchObject({ type: 'error', name: 'NotAMemberError' })
    // And one whose signer is not a log ID at all is refused before anything reads it.
    expect(await f.transport.request({ ...forged, by: 'not-a-member' })).toMatchObject({ type: 'error', name: 'MalformedLogIdError' })
    await a.close()
  })

  it('asks for the next batch while applying one, and calls it off when a batch is refused', async () => {
    const { a, b, ta, tb } = await members()
    const f = memoryFollower()
    await f.transport.request(await ta.followRequest())
    await Promise.all(Array.from({ length: 600 }, async (_, i) => await ta.collection('photos').create({ _id: `p${i}` })))
    await syncThread({ thread: ta.id, replica: a.syncReplica(), transport: f.transport })
    const pulls: Array<{ signal?: AbortSignal, appliedBefore: number }> = []
    const transport: SyncTransport = {
      async request (request, options) {
        if (request.type !== 'pull') return await f.transport.request(request, options)
        pulls.push({ signal: options?.signal, appliedBefore: tb.collection('photos').find({}).length })
        const response = await f.transport.request(request, options)
        if (response.type !== 'records' || pulls.length !== 2) return response
        // The second batch arrives with one record's body changed.
        const [first, ...rest] = response.records
        const body = first!.blocks[3]!
        return { ...response, records: [{ ...first!, blocks: [...first!.blocks.slice(0, 3), { cid: body.cid, bytes: body.bytes.map((x, i) => i === 10 ? x ^ 1 : x) }] }, ...rest] }
      }
    }
    await expect(syncThread({ thread: tb.id, replica: b.syncReplica(), transport, batchSize: 100 })).rejects.toMatchObject({ name: 'BadCidError' })
    // The second pull went out before the first batch was applied; the one on the wire when the
    // second batch was refused was called off, and none went out after it.
    expect(pulls[1]!.appliedBefore).toBe(0)
    expect(pulls).toHaveLength(4)
    expect(pulls[3]!.signal?.aborted).toBe(true)
    // The rest of the second batch, and the third, follow the refused record in its log: they wait for it in vain.
    // The first batch held A's genesis, its invite and 98 photos.
    expect(tb.collection('photos').find({}).length).toBe(98)
    await a.close()
    await b.close()
  })

  it('stores records whose dependencies arrive in a later batch', async () => {
    const { a, b, ta, tb } = await members()
    const c = openDatabase({ backend: createMemoryBackend() })
    const tc = await c.acceptInvite(await ta.invite({ role: 'admin' }))
    const f = memoryFollower()
    await f.transport.request(await ta.followRequest())
    // C's records come first in every pull but depend on A's, which come after them.
    await Promise.all(Array.from({ length: 30 }, async (_, i) => await ta.collection('photos').create({ _id: `a${i}` })))
    await syncThread({ thread: ta.id, replica: a.syncReplica(), transport: f.transport })
    await syncThread({ thread: tc.id, replica: c.syncReplica(), transport: f.transport })
    await tc.collection('photos').create({ _id: 'c0' })
    await syncThread({ thread: tc.id, replica: c.syncReplica(), transport: f.transport })
    const from: string[] = []
    const transport: SyncTransport = {
      async request (request, options) {
        if (request.type === 'pull') from.push(request.from.map((p) => p.log === tc.logId ? 'c' : 'a').join(''))
        return await f.transport.request(request.type === 'pull' ? { ...request, from: [...request.from].sort((x) => x.log === tc.logId ? -1 : 1) } : request, options)
      }
    }
    const result = await syncThread({ thread: tb.id, replica: b.syncReplica(), transport, batchSize: 8 })
    // A's genesis, two invites and 30 photos; C's join and its photo.
    expect(result.pulled).toBe(35)
    expect(tb.dump()).toEqual(tc.dump())
    await a.close()
    await b.close()
    await c.close()
  })
})
