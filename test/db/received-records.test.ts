/**
 * Received records are verified and opened before their turn. What is stored
 * is what the log layer accepts, as on a follower: a record whose payload
 * cannot be opened with the keys held (a member below read holds no read key)
 * is stored and skipped, and a record sealed with an epoch whose keys are not
 * held at all is refused alone, the rest of its batch going on.
 */
import { describe, expect, it } from 'vitest'
import { deterministicRandom } from '../../src/core/crypto/random.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { createStoreReplica } from '../../src/core/sync/replica.ts'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { writerFixture } from '../helpers/log-fixture.ts'

const statuses = (outcomes: ReadonlyArray<{ status: string } | Error>): string[] => outcomes.map((o) => o instanceof Error ? o.name : o.status)

describe('received records', () => {
  it('stores data records a follow-only member cannot read, reports them, and applies them once it holds the read key and rebuilds', async () => {
    const writer = openDatabase({ backend: createMemoryBackend() })
    const source = await writer.createThread()
    const followOnly = await source.invite({ role: 'follow' })
    expect(followOnly.epochs.every((e) => e.readKey === undefined)).toBe(true)
    await source.collection('photos').create({ _id: 'p0' })
    await source.collection('photos').create({ _id: 'p1' })
    const records = await source.exportRecords()
    const data = records.slice(-2)

    const reader = openDatabase({ backend: createMemoryBackend() })
    const thread = await reader.acceptInvite(followOnly)
    // Genesis, the invite: ACL events, which the views never show; then the two data records.
    expect(statuses(await thread.ingestMany(records))).toEqual(['stored', 'stored', 'stored', 'stored'])
    expect((await thread.heads()).find((h) => h.log === source.logId)?.seq).toBe(4)
    expect(thread.collection('photos').find({})).toEqual([])
    expect((await thread.skipped()).map((s) => [s.kind, s.seq, s.record, s.reason])).toEqual([
      ['record', 3, data[0]!.record, 'MissingKeyError'],
      ['record', 4, data[1]!.record, 'MissingKeyError']
    ])
    // With the read key (here through a second invite), a rebuild re-reads every record held: they apply and the report empties.
    await reader.acceptInvite(await source.invite({ role: 'read' }))
    await thread.rebuild('log')
    expect(thread.collection('photos').find({}).map((d) => d._id)).toEqual(['p0', 'p1'])
    expect(await thread.skipped()).toEqual([])
    await writer.close()
    await reader.close()
  })

  it('refuses a record sealed with an epoch it holds no keys for with UnknownEpochError, alone, as a follower does', async () => {
    const writer = openDatabase({ backend: createMemoryBackend() })
    const source = await writer.createThread()
    const invite = await source.invite({ role: 'write' })
    await source.collection('photos').create({ _id: 'p0' })
    // A stranger writes records naming the thread, sealed with keys of its own.
    const stranger = writerFixture(source.id, deterministicRandom('stranger'))
    const { record } = await stranger.writer.append({ v: 2, type: 'db', clock: 1, ops: [] })
    const strangers = [{ log: stranger.identity.logId, record, blocks: await stranger.store.recordBlocks(record, stranger.keys) }]
    const batch = [...strangers, ...await source.exportRecords()]

    const member = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(invite)
    expect(statuses(await member.ingestMany(batch))).toEqual(['UnknownEpochError', 'stored', 'stored', 'stored'])
    expect(member.collection('photos').find({}).map((d) => d._id)).toEqual(['p0'])

    const backend = createMemoryBackend()
    const keys = createKeyBook(backend.meta)
    for (const epoch of invite.epochs) await keys.putEpoch(source.id, { keyId: epoch.keyId, epoch: epoch.epoch, followKey: epoch.followKey })
    const follower = createStoreReplica({ records: createRecordStore({ backend }), keys })
    expect(statuses(await follower.ingest(source.id, batch))).toEqual(['UnknownEpochError', 'stored', 'stored', 'stored'])
    await writer.close()
  })
})
