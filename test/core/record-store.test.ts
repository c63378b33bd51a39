import { describe, expect, it } from 'vitest'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import { createKeyring, type EpochKeyring } from '../../src/core/log/keyring.ts'
import type { RawBlock } from '../../src/core/storage/interfaces.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { snapshotMeta, threadFixture, writerFixture } from '../helpers/log-fixture.ts'

describe('record store', () => {
  it('gives concurrent appends consecutive positions, each linking the one before', async () => {
    const { thread, random } = threadFixture('append')
    const alice = writerFixture(thread, random)
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => alice.writer.append({ n: i })))
    expect(results.map((r) => r.node.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    const chain = []
    for await (const entry of alice.store.walk(thread, alice.identity.logId, alice.keys)) chain.push(entry)
    expect(chain.map((c) => c.node.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i))
    for (let i = 0; i < chain.length - 1; i++) expect(chain[i]!.node.prev).toBe(chain[i + 1]!.record)
    expect(await alice.store.head(thread, alice.identity.logId)).toMatchObject({ seq: 20, record: chain[0]!.record })
    const opened = await alice.store.openEvent(chain[0]!.record, alice.keys)
    expect(opened.payload).toEqual({ n: (opened.payload as { n: number }).n })
  })

  it('lets a follower with the follow key alone verify, store and relay, but not read', async () => {
    const { thread, random } = threadFixture('follower')
    const alice = writerFixture(thread, random)
    const follower = createRecordStore({ backend: createMemoryBackend() })
    const relayed = createRecordStore({ backend: createMemoryBackend() })
    for (let i = 0; i < 3; i++) {
      const { record } = await alice.writer.append({ secret: `photo-${i}` })
      const blocks = await alice.store.recordBlocks(record, alice.keys)
      await follower.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record, blocks })
      // The follower serves what it holds to a third peer, which verifies it the same way.
      const served = await follower.recordBlocks(record, alice.keys)
      await relayed.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record, blocks: served })
    }
    const head = await relayed.head(thread, alice.identity.logId)
    expect(head?.seq).toBe(3)
    await expect(follower.openEvent(head!.record, createKeyring([{ ...alice.epoch, readKey: alice.followKey }])))
      .rejects.toMatchObject({ name: 'DecryptError' })
    expect((await relayed.openEvent(head!.record, alice.keys)).payload).toEqual({ secret: 'photo-2' })
  })

  it('treats a record it already holds as a duplicate and changes nothing', async () => {
    const { thread, random } = threadFixture('duplicate')
    const alice = writerFixture(thread, random)
    const { record } = await alice.writer.append({ a: 1 })
    const before = await snapshotMeta(alice.backend)
    const result = await alice.store.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record, blocks: await alice.store.recordBlocks(record, alice.keys) })
    expect(result.status).toBe('duplicate')
    expect(await snapshotMeta(alice.backend)).toEqual(before)
  })

  it('stores a batch that continues a log with one read of its head and one write of everything', async () => {
    const { thread, random } = threadFixture('batch')
    const alice = writerFixture(thread, random)
    for (let i = 0; i < 6; i++) await alice.writer.append({ n: i })
    const received: Array<{ log: string, keys: EpochKeyring, record: string, blocks: RawBlock[] }> = []
    for (let seq = 1; seq <= 6; seq++) {
      const record = (await alice.store.recordAt(thread, alice.identity.logId, seq))!
      received.push({ log: alice.identity.logId, keys: alice.keys, record, blocks: await alice.store.recordBlocks(record, alice.keys) })
    }
    const backend = createMemoryBackend()
    const reads: string[] = []
    const writes: string[][] = []
    const get = backend.meta.get.bind(backend.meta)
    const batch = backend.meta.batch.bind(backend.meta)
    backend.meta.get = async (key, options) => { reads.push(key); return await get(key, options) }
    backend.meta.batch = async (operations, options) => { writes.push(operations.map((op) => op.key)); await batch(operations, options) }
    const peer = createRecordStore({ backend })
    expect((await peer.ingestMany(thread, received.slice(0, 3))).map((o) => !(o instanceof Error) && o.status)).toEqual(['stored', 'stored', 'stored'])
    expect((await peer.ingestMany(thread, received)).map((o) => !(o instanceof Error) && o.status))
      .toEqual(['duplicate', 'duplicate', 'duplicate', 'stored', 'stored', 'stored'])
    // Per batch: the head, and for the records already held (not after the head) what placing them reads.
    expect(reads.filter((key) => key.startsWith('head/'))).toHaveLength(2)
    expect(reads.filter((key) => !key.startsWith('head/')).every((key) => received.slice(0, 3).some((r) => key.endsWith(r.record)))).toBe(true)
    expect(writes).toHaveLength(2)
    expect(writes[1]!.filter((key) => key.startsWith('head/'))).toHaveLength(1)
    expect(await peer.head(thread, alice.identity.logId)).toMatchObject({ seq: 6, record: received[5]!.record })
  })

  it('commits concurrent calls with hooks together when asked, running each hook once, in order, and answering each call its own', async () => {
    const { thread, random } = threadFixture('group-hooks')
    const first = writerFixture(thread, random)
    const writers = [first, ...Array.from({ length: 4 }, () => writerFixture(thread, random, createMemoryBackend(), first.epoch))]
    const received = []
    for (const w of writers) {
      const { record } = await w.writer.append({ n: 1 })
      received.push({ log: w.identity.logId, keys: w.keys, record, blocks: await w.store.recordBlocks(record, w.keys) })
    }
    const backend = createMemoryBackend()
    let writes = 0
    const batch = backend.meta.batch.bind(backend.meta)
    backend.meta.batch = async (operations, options) => { writes++; await batch(operations, options) }
    const follower = createRecordStore({ backend })
    const hooked: string[] = []
    const hook = async ({ record }: { record: string }) => { hooked.push(record); return { operations: [] } }
    const verified = await Promise.all(received.map(async (r) => (await follower.verifyMany(thread, [r]))[0]!))
    // Pushes of five members arriving at once, as at a follower.
    const outcomes = await Promise.all(verified.map(async (v) => await follower.commitVerified(thread, [{ verified: v, hook }], { groupHooks: true })))
    expect(outcomes.map(([o]) => o !== undefined && !(o instanceof Error) && o.record)).toEqual(received.map((r) => r.record))
    expect(hooked).toEqual(received.map((r) => r.record))
    // The first call is committed alone; the ones that came while it was under way, together.
    expect(writes).toBeLessThan(received.length)
    for (const w of writers) expect((await follower.head(thread, w.identity.logId))?.seq).toBe(1)
  })
})
