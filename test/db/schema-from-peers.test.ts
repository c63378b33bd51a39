/**
 * A peer's writes that break a collection's schema: every operation merges as
 * usual, and a document whose merged state breaks the schema is kept out of the
 * view and reported, identically on every replica whatever order records
 * arrived in, until a later write makes it pass again. The writer's own
 * invalid commands are still refused before anything is written.
 */
import { describe, expect, it } from 'vitest'
import { openFileBackend } from '../../src/adapters/node/index.ts'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { dbEvent, inc, rawPeer } from './raw-peer.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const cleanup = cleanupAfterAll()
const photoSchema = {
  type: 'object',
  properties: { title: { type: 'string', minLength: 1 }, likes: { type: 'integer', minimum: 0 } },
  required: ['title']
}
const sync = async (from: ThreadDatabase, to: ThreadDatabase): Promise<void> => { await to.ingestMany(await from.exportRecords()) }

describe('documents from peers that break the schema', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('are kept out of the view and reported alike on every replica, whatever the arrival order, until a later write makes them pass', async () => {
    const directory = await tempDir('threads-schema-', cleanup)
    const a = openDatabase({ backend: await openFileBackend({ directory }) })
    const b = openDatabase({ backend: createMemoryBackend() })
    const ta = await a.createThread()
    const tb = await b.acceptInvite(await ta.invite({ role: 'admin' }))
    const p = await rawPeer(await ta.invite({ role: 'write' }), 'p')
    const q = await rawPeer(await ta.invite({ role: 'write' }), 'q')
    await sync(ta, tb)
    for (const t of [ta, tb]) await t.ingestMany([p.join, q.join])
    // A declares the schema before anything arrives; B only after (it applies to what B holds at once).
    const photosA = ta.collection('photos', { schema: photoSchema, indexes: ['likes'] })

    const p1 = await p.append(dbEvent(1, { op: 'create', coll: 'photos', id: 'p1', inc: inc('p1'), fields: { title: 'ok', likes: 1 } }))
    // Q's one event breaks p1 (negative likes) and creates p2 with an empty title.
    const q1 = await q.append(dbEvent(2,
      { op: 'patch', coll: 'photos', id: 'p1', inc: inc('p1'), set: { likes: -1 }, unset: [] },
      { op: 'create', coll: 'photos', id: 'p2', inc: inc('p2'), fields: { title: '' } }))
    const p2 = await p.append(dbEvent(3, { op: 'patch', coll: 'photos', id: 'p1', inc: inc('p1'), set: { likes: 3 }, unset: [] }))

    // A: in order. After P's create and Q's event, p1 breaks the schema and is kept out.
    await ta.ingestMany([p1, q1])
    expect(photosA.has('p1')).toBe(false)
    expect(photosA.find({ likes: -1 })).toEqual([])
    expect((await ta.skipped()).map((s) => s.kind === 'document' ? [s.id, s.record, s.problems] : s.kind)).toEqual([
      ['p1', q1.record, [{ field: '/likes', message: 'must be >= 0' }]],
      ['p2', q1.record, [{ field: '/title', message: 'must NOT have fewer than 1 characters' }]]
    ])
    // P's later write sorts after Q's: p1 passes again and shows.
    await ta.ingestMany([p2])
    expect(photosA.get('p1')).toEqual({ _id: 'p1', likes: 3, title: 'ok' })
    expect(photosA.find({ likes: 3 }).map((d) => d._id)).toEqual(['p1'])

    // B: the other order, schema declared last.
    await tb.ingestMany([q1])
    await tb.ingestMany([p1, p2])
    expect(tb.collection('photos').find({}).map((d) => d._id)).toEqual(['p1', 'p2'])
    tb.collection('photos', { schema: photoSchema })
    expect(tb.dump()).toEqual(ta.dump())
    const report = await ta.skipped()
    expect(report).toEqual([{
      kind: 'document',
      collection: 'photos',
      id: 'p2',
      record: q1.record,
      log: q.log,
      seq: 2,
      reason: 'SchemaValidationError',
      message: 'field "/title" must NOT have fewer than 1 characters',
      problems: [{ field: '/title', message: 'must NOT have fewer than 1 characters' }]
    }])
    expect(await tb.skipped()).toEqual(report)

    // A kept-out document is absent to commands as to reads; this replica's own invalid writes are refused up front.
    await expect(photosA.update('p2', { likes: 1 })).rejects.toMatchObject({ name: 'DocumentNotFoundError' })
    await expect(photosA.update('p1', { likes: -5 })).rejects.toMatchObject({ name: 'SchemaValidationError', field: '/likes' })
    // Creating it replaces it, on every replica.
    await photosA.create({ _id: 'p2', title: 'replaced' })
    await sync(ta, tb)
    expect(tb.collection('photos').get('p2')).toEqual({ _id: 'p2', title: 'replaced' })
    expect(await tb.skipped()).toEqual([])

    // A later peer write breaks p1 (blamed on that write), a later one still mends it.
    const q2 = await q.append(dbEvent(10, { op: 'patch', coll: 'photos', id: 'p1', inc: inc('p1'), set: { title: 42 }, unset: [] }))
    await ta.ingest(q2)
    await tb.ingest(q2)
    const broken = await ta.skipped()
    expect(broken.map((s) => [s.kind, s.log, s.seq, s.record, s.reason])).toEqual([['document', q.log, 3, q2.record, 'SchemaValidationError']])
    expect(await tb.skipped()).toEqual(broken)
    expect(tb.dump()).toEqual(ta.dump())
    const view = ta.dump()

    // Restart and rebuilds: the same view and report once the app declares its schema again.
    await ta.snapshot()
    await a.close()
    const reopened = openDatabase({ backend: await openFileBackend({ directory }) })
    const again = await reopened.openThread(ta.id)
    again.collection('photos', { schema: photoSchema, indexes: ['likes'] })
    expect(again.dump()).toEqual(view)
    expect(await again.skipped()).toEqual(broken)
    for (const from of ['log', 'snapshot'] as const) {
      await again.rebuild(from)
      expect(again.dump()).toEqual(view)
      expect(await again.skipped()).toEqual(broken)
      expect(again.collection('photos').find({ likes: 3 })).toEqual([])
    }

    const p3 = await p.append(dbEvent(11, { op: 'patch', coll: 'photos', id: 'p1', inc: inc('p1'), set: { title: 'mended' }, unset: [] }))
    await again.ingest(p3)
    await tb.ingestMany([p3])
    expect(again.collection('photos').get('p1')).toEqual({ _id: 'p1', likes: 3, title: 'mended' })
    expect(again.dump()).toEqual(tb.dump())
    expect(await again.skipped()).toEqual([])
    expect(await tb.skipped()).toEqual([])
    await reopened.close()
    await b.close()
  })
})
