/**
 * One acceptance rule for members and followers: whether a received record is
 * stored is the log layer's decision. A member stores a record whose payload is
 * not a database event like any other (its log's head advances, the writer's
 * next records apply, it is relayed), keeps it out of its views and reports it
 * through `skipped()`, the same after a restart and a rebuild.
 */
import { describe, expect, it } from 'vitest'
import { openFileBackend } from '../../src/adapters/node/index.ts'
import { openDatabase, type RecordEnvelope } from '../../src/core/db/index.ts'
import { createKeyring } from '../../src/core/log/keyring.ts'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { dbEvent, inc, rawPeer } from './raw-peer.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const cleanup = cleanupAfterAll()
/** Records with `first`'s log before the others (whose joins depend on its invites), each log in order. */
const ownerFirst = (records: RecordEnvelope[], first: string): RecordEnvelope[] => [...records.filter((r) => r.log === first), ...records.filter((r) => r.log !== first)]
const statuses = (outcomes: ReadonlyArray<{ status: string } | Error>): string[] => outcomes.map((o) => o instanceof Error ? o.name : o.status)

describe('records whose payload is not a database event', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('are stored and relayed like any record, kept out of the view and reported, and the log goes on', async () => {
    const directory = await tempDir('threads-skipped-', cleanup)
    const member = openDatabase({ backend: await openFileBackend({ directory }) })
    const thread = await member.createThread()
    const photos = thread.collection('photos', { text: ['caption'] })
    const invite = await thread.invite({ role: 'write' })
    const peer = await rawPeer(invite, 'peer')
    await thread.ingest(peer.join)

    const sent = [
      await peer.append(dbEvent(1, { op: 'create', coll: 'photos', id: 'p1', inc: inc('p1'), fields: { title: 'first' } })),
      // The payload of the protocol's own example records: not a database event.
      await peer.append({ album: 'Summer', caption: 'Beach at dawn' }),
      await peer.append(dbEvent(2)),
      await peer.append({ v: 3, type: 'db', clock: 3, ops: [{ op: 'delete', coll: 'photos', id: 'p1', inc: inc('p1') }] }),
      await peer.append(dbEvent(4, { op: 'text', coll: 'photos', id: 'p1', inc: inc('p1'), field: 'caption', update: new Uint8Array([7, 7, 7]) })),
      await peer.append(dbEvent(5, { op: 'patch', coll: 'photos', id: 'p1', inc: inc('p1'), set: { title: 'second' }, unset: [] }))
    ]
    // A follower's store, which verifies with the follow key alone, accepts exactly what the member does.
    const follower = createRecordStore({ backend: createMemoryBackend() })
    const followKeys = createKeyring(invite.epochs.map((e) => ({ keyId: e.keyId, followKey: e.followKey })))
    // The member's log first: the peer's join depends on its invite record.
    const acl = ownerFirst(await thread.exportRecords(), thread.logId)
    expect(statuses(await follower.ingestMany(thread.id, acl.map((r) => ({ ...r, keys: followKeys }))))).toEqual(['stored', 'stored', 'stored'])
    const followerOutcomes = await follower.ingestMany(thread.id, sent.map((r) => ({ ...r, keys: followKeys })))
    expect(statuses(followerOutcomes)).toEqual(Array(6).fill('stored'))
    expect(statuses(await thread.ingestMany(sent.slice(0, 2)))).toEqual(['stored', 'stored'])
    // One at a time, a skipped record is answered as stored, not thrown.
    for (const record of sent.slice(2)) expect((await thread.ingest(record)).status).toBe('stored')

    expect((await thread.heads()).find((h) => h.log === peer.log)).toEqual(await follower.head(thread.id, peer.log))
    expect(photos.find({})).toEqual([{ _id: 'p1', title: 'second' }])
    const report = await thread.skipped()
    expect(report.map((s) => [s.kind, s.log, s.seq, s.record, s.reason])).toEqual([
      ['record', peer.log, 3, sent[1]!.record, 'InvalidEventError'],
      ['record', peer.log, 4, sent[2]!.record, 'InvalidEventError'],
      ['record', peer.log, 5, sent[3]!.record, 'InvalidEventError'],
      ['record', peer.log, 6, sent[4]!.record, 'InvalidEventError']
    ])
    expect(report.map((s) => s.message)).toEqual([
      'payload is not a database event of version 2',
      'database event must hold 1 to 10,000 operations',
      'payload is not a database event of version 2',
      'operation 0: text update is not a Yjs update'
    ])
    // Duplicates change nothing, the report included.
    expect(statuses(await thread.ingestMany(sent))).toEqual(Array(6).fill('duplicate'))
    expect(await thread.skipped()).toEqual(report)

    // Relayed: a second member that only talks to the first gets every record, the same view and report.
    const other = openDatabase({ backend: createMemoryBackend() })
    const relayed = await other.acceptInvite(await thread.invite({ role: 'write' }))
    const exported: RecordEnvelope[] = ownerFirst(await thread.exportRecords(), thread.logId)
    expect(exported.filter((r) => r.log === peer.log).map((r) => r.record)).toEqual([peer.join, ...sent].map((r) => r.record))
    expect(statuses(await relayed.ingestMany(exported))).toEqual(Array(exported.length).fill('stored'))
    expect(relayed.dump()).toEqual(thread.dump())
    expect(await relayed.skipped()).toEqual(report)

    // The writer's next valid record applies.
    const next = await peer.append(dbEvent(6, { op: 'create', coll: 'photos', id: 'p2', inc: inc('p2'), fields: { title: 'after' } }))
    expect((await thread.ingest(next)).status).toBe('stored')
    expect(photos.find({}).map((d) => d._id)).toEqual(['p1', 'p2'])
    const view = thread.dump()

    // Restart, then both rebuilds: the same view and the same report.
    await thread.snapshot()
    await member.close()
    const reopened = openDatabase({ backend: await openFileBackend({ directory }) })
    const again = await reopened.openThread(thread.id)
    expect(again.dump()).toEqual(view)
    expect(await again.skipped()).toEqual(report)
    await again.rebuild('log')
    expect(again.dump()).toEqual(view)
    expect(await again.skipped()).toEqual(report)
    await again.rebuild('snapshot')
    expect(again.dump()).toEqual(view)
    expect(await again.skipped()).toEqual(report)
    await reopened.close()
    await other.close()
  })
})

describe('this replica\'s own writes', () => {
  it('are refused up front when peers would skip their event, and apply here exactly as peers decode them', async () => {
    const db = openDatabase({ backend: createMemoryBackend() })
    const thread = await db.createThread()
    await expect(thread.collection('c'.repeat(257)).create({ title: 'x' })).rejects.toMatchObject({ name: 'InvalidCommandError' })
    await expect(thread.kv.put('k'.repeat(1025), 1)).rejects.toMatchObject({ name: 'InvalidCommandError' })
    await expect(thread.collection('photos').create({ _id: 'p', when: new Date(0) })).rejects.toMatchObject({ name: 'InvalidCommandError' })
    // Nothing was written: the log holds its genesis alone.
    expect((await thread.heads()).map((h) => h.seq)).toEqual([1])

    // A lone surrogate cannot travel in DAG-CBOR: the writer shows what its peers will.
    await thread.collection('photos').create({ _id: 'p', title: 'a\ud800b' })
    const peer = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(await thread.invite({ role: 'write' }))
    await peer.ingestMany(await thread.exportRecords())
    expect(thread.collection('photos').get('p')).toEqual({ _id: 'p', title: 'a\ufffdb' })
    expect(peer.dump()).toEqual(thread.dump())

    // A peer's event at the largest clock does not stop anyone from writing.
    const far = await rawPeer(await thread.invite({ role: 'write' }), 'far')
    await thread.ingest(far.join)
    await thread.ingest(await far.append(dbEvent(Number.MAX_SAFE_INTEGER, { op: 'create', coll: 'photos', id: 'far', inc: inc('far'), fields: {} })))
    await thread.collection('photos').create({ _id: 'after', title: 'still writing' })
    expect(thread.collection('photos').find({}).map((d) => d._id)).toEqual(['after', 'far', 'p'])
    expect(await thread.skipped()).toEqual([])
    await db.close()
  })
})
