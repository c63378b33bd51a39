/**
 * Received records are verified and opened before their turn. What is stored
 * is what the log layer accepts, as on a follower: a record whose payload does
 * not open with the read key held is stored and skipped, and a record of a log
 * with no keys at all is refused alone, the rest of its batch going on.
 */
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import { createStoreReplica } from '../../src/core/sync/replica.ts'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'

const statuses = (outcomes: ReadonlyArray<{ status: string } | Error>): string[] => outcomes.map((o) => o instanceof Error ? o.name : o.status)

describe('received records', () => {
  it('stores a record whose payload does not open with the read key held, reports it, and applies it once the right key is held and the view rebuilt', async () => {
    const writer = openDatabase({ backend: createMemoryBackend() })
    const source = await writer.createThread()
    await source.collection('photos').create({ _id: 'p0' })
    await source.collection('photos').create({ _id: 'p1' })
    const records = await source.exportRecords()
    const grant = source.ownGrant()

    const reader = openDatabase({ backend: createMemoryBackend() })
    const thread = await reader.joinThread({ id: source.id, logs: [{ ...grant, readKey: grant.readKey.map((x) => x ^ 1) }] })
    expect(statuses(await thread.ingestMany(records))).toEqual(['stored', 'stored'])
    expect((await thread.heads()).find((h) => h.log === grant.log)?.seq).toBe(2)
    expect(thread.collection('photos').find({})).toEqual([])
    expect((await thread.skipped()).map((s) => [s.kind, s.seq, s.record, s.reason])).toEqual([
      ['record', 1, records[0]!.record, 'DecryptError'],
      ['record', 2, records[1]!.record, 'DecryptError']
    ])
    // With the right key, a rebuild re-reads every record held: they apply and the report empties.
    await thread.addLog(grant)
    await thread.rebuild('log')
    expect(thread.collection('photos').find({}).map((d) => d._id)).toEqual(['p0', 'p1'])
    expect(await thread.skipped()).toEqual([])
    await writer.close()
    await reader.close()
  })

  it('refuses a record of a log it holds no keys for with MissingKeyError, alone, as a follower does', async () => {
    const writer = openDatabase({ backend: createMemoryBackend() })
    const source = await writer.createThread()
    await source.collection('photos').create({ _id: 'p0' })
    const stranger = await openDatabase({ backend: createMemoryBackend() }).joinThread({ id: source.id, logs: [] })
    await stranger.collection('photos').create({ _id: 'x' })
    const batch = [...await stranger.exportRecords(), ...await source.exportRecords()]

    const member = await openDatabase({ backend: createMemoryBackend() }).joinThread({ id: source.id, logs: [source.ownGrant()] })
    expect(statuses(await member.ingestMany(batch))).toEqual(['MissingKeyError', 'stored'])
    expect(member.collection('photos').find({}).map((d) => d._id)).toEqual(['p0'])

    const backend = createMemoryBackend()
    const keys = createKeyBook(backend.meta)
    await keys.put(source.id, source.logId, { followKey: source.ownGrant().followKey })
    const follower = createStoreReplica({ records: createRecordStore({ backend }), keys, meta: backend.meta })
    expect(statuses(await follower.ingest(source.id, batch))).toEqual(['MissingKeyError', 'stored'])
    await writer.close()
  })
})
