/**
 * Joins from published snapshots, through a follower in memory over the real
 * wire encoding: a joiner shows the album from a writer's snapshot before any
 * record arrives, ends with the view a full replay gives, refuses forged
 * snapshots by name (and joins by replay instead), and catches a snapshot
 * that lies about content once the records are in.
 */
import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { openDatabase, type Database } from '../../src/core/db/index.ts'
import type { ThreadDatabase } from '../../src/core/db/thread-database.ts'
import type { SnapshotBundle } from '../../src/core/db/published-snapshot.ts'
import type { DocState } from '../../src/core/db/doc-state.ts'
import { encodeBlock } from '../../src/core/log/blocks.ts'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import type { StorageBackend } from '../../src/core/storage/interfaces.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { joinFromSnapshot } from '../../src/core/sync/snapshot-join.ts'
import { remoteSnapshotShelf, type SnapshotShelf } from '../../src/core/sync/snapshot-shelf.ts'
import { decodeRequest } from '../../src/core/sync/messages.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { forge, identityOf } from '../helpers/snapshot-forge.ts'

const PHOTOS = 40

/** A peer: its database, over a backend the test can read keys from. */
function peer (): { db: Database, backend: StorageBackend } {
  const backend = createMemoryBackend()
  return { db: openDatabase({ backend }), backend }
}

/**
 * An album owned by Alice with photos by Alice and by Carol (a writer), renames, a deletion and a
 * text field, all held by a follower; Alice's snapshot is published there.
 */
async function album () {
  const follower = memoryFollower()
  const alice = peer()
  const ta = await alice.db.createThread()
  await follower.transport.request(await ta.followRequest())
  const photos = ta.collection('photos')
  for (let i = 0; i < PHOTOS; i++) await photos.create({ _id: `a${i}`, title: `Photo ${i}`, addedAt: i, thumbnail: `bafy-thumb-${i}` })
  await photos.update('a3', { title: 'Renamed' })
  await photos.delete('a5')
  const carol = peer()
  const tc = await carol.db.acceptInvite(await ta.invite({ role: 'write' }))
  await syncThread({ thread: ta.id, replica: alice.db.syncReplica(), transport: follower.transport })
  await syncThread({ thread: ta.id, replica: carol.db.syncReplica(), transport: follower.transport })
  await tc.collection('photos').create({ _id: 'c1', title: 'By Carol', addedAt: 100 })
  const notes = tc.collection('notes', { text: ['body'] })
  await notes.create({ _id: 'n1', body: 'Hello' })
  await notes.editText('n1', 'body', (t) => { t.insert(5, ', album') })
  await syncThread({ thread: ta.id, replica: carol.db.syncReplica(), transport: follower.transport })
  await syncThread({ thread: ta.id, replica: alice.db.syncReplica(), transport: follower.transport })
  const honest = await ta.publishSnapshot()
  await remoteSnapshotShelf(async (r) => await follower.transport.request(r)).put(ta.id, honest)
  return { follower, alice, ta, carol, tc, honest }
}

/** A new reader joining through an invite of `inviter`. */
async function joiner (inviter: ThreadDatabase, follower: ReturnType<typeof memoryFollower>, inviterDb: Database): Promise<{ db: Database, thread: ThreadDatabase, backend: StorageBackend }> {
  const invite = await inviter.invite({ role: 'read' })
  await syncThread({ thread: inviter.id, replica: inviterDb.syncReplica(), transport: follower.transport })
  const p = peer()
  return { ...p, thread: await p.db.acceptInvite(invite) }
}

const shelfOf = (bundle: SnapshotBundle): SnapshotShelf => ({ put: async () => {}, latest: async () => bundle })

describe('joins from published snapshots', { timeout: 120_000 }, () => {
  it('shows the album from the snapshot before any record arrives, and ends with the view a full replay gives', async () => {
    const { follower, alice, ta } = await album()
    const bob = await joiner(ta, follower, alice.db)
    const join = await joinFromSnapshot({ thread: bob.thread, replica: bob.db.syncReplica(), transport: follower.transport })
    expect(join.refused).toBeUndefined()
    expect(join.snapshot?.by).toBe(ta.logId)
    // Shown at once: every photo, with its thumbnail reference, before the records are synced.
    const shown = bob.thread.dump()
    expect(shown.photos).toHaveLength(PHOTOS) // 40 by Alice, one deleted, one by Carol
    expect(shown.photos?.find((p) => p._id === 'a7')?.thumbnail).toBe('bafy-thumb-7')
    expect(shown).toEqual(ta.dump())
    const { check } = await join.rest
    expect(check.state).toBe('verified')

    // Dave joins by full replay; both views are the same, and Alice's.
    const dave = await joiner(ta, follower, alice.db)
    await syncThread({ thread: ta.id, replica: dave.db.syncReplica(), transport: follower.transport })
    expect(bob.thread.dump()).toEqual(dave.thread.dump())
    expect(bob.thread.dump()).toEqual(ta.dump())
    expect(await bob.thread.checkSnapshot()).toEqual({ state: 'none' })

    // What is written after the join reaches the joiner as usual.
    await ta.collection('photos').create({ _id: 'late', title: 'Later', addedAt: 200 })
    await syncThread({ thread: ta.id, replica: alice.db.syncReplica(), transport: follower.transport })
    await syncThread({ thread: ta.id, replica: bob.db.syncReplica(), transport: follower.transport })
    expect(bob.thread.collection('photos').get('late')?.title).toBe('Later')
  })

  it('refuses forged snapshots by name and joins by replay instead', async () => {
    const { follower, alice, ta, honest } = await album()
    const bob = await joiner(ta, follower, alice.db)
    const root = dagCbor.decode(honest.root.bytes) as { m: unknown, sig: Uint8Array }
    const badSig = encodeBlock({ m: root.m, sig: root.sig.map((b, i) => i === 0 ? b ^ 1 : b) })
    const stranger = generateLogIdentity()
    const tamperedChunk = { root: honest.root, blocks: honest.blocks.map((b, i) => i === 0 ? { cid: b.cid, bytes: b.bytes.map((x, j) => j === 10 ? x ^ 1 : x) } : b) }
    const forged: Array<[string, SnapshotBundle]> = [
      ['SnapshotSignatureError', { root: { cid: badSig.cid, bytes: badSig.bytes }, blocks: honest.blocks }],
      // A stranger, and a reader, are no writers.
      ['SnapshotPublisherError', await forge({ thread: ta, backend: alice.backend, honest, identity: stranger, positions: (p) => [...p, { log: stranger.logId, seq: 1, record: p[0]!.record }] })],
      ['SnapshotPublisherError', await forge({ thread: ta, backend: alice.backend, honest, identity: await identityOf(bob.backend, bob.thread.id), positions: (p) => [...p, { log: bob.thread.logId, seq: 1, record: p[0]!.record }] })],
      // Records that do not exist: beyond Alice's head.
      ['SnapshotVectorError', await forge({ thread: ta, backend: alice.backend, honest, positions: (p) => p.map((x) => x.log === ta.logId ? { ...x, seq: x.seq + 5 } : x) })],
      ['MalformedSnapshotError', tamperedChunk],
      ['SnapshotContentError', { root: honest.root, blocks: honest.blocks.slice(1) }],
      // Sealed and signed by a writer, yet not document states: each refused whole, by name.
      ...await Promise.all(([
        (s) => ({ ...s, current: 'not-an-incarnation' }),
        (s) => ({ ...s, incarnations: Object.fromEntries(Object.entries(s.incarnations).map(([k, inc]) => [k, { ...inc, text: { body: 'not bytes' as unknown as Uint8Array } }])) }),
        (s) => ({ ...s, incarnations: Object.fromEntries(Object.entries(s.incarnations).map(([k, inc]) => [k, { ...inc, text: { body: Uint8Array.of(1, 2, 3) } }])) }),
        (s) => ({ ...s, incarnations: Object.fromEntries(Object.entries(s.incarnations).map(([k, inc]) => [k, { ...inc, created: [-1, ta.logId, 1, 0] as const }])) })
      ] satisfies Array<(s: DocState) => DocState>).map(async (change) => ['SnapshotContentError', await forge({ thread: ta, backend: alice.backend, honest, states: (states) => states.map(([c, st], i) => [c, i === 0 ? change(st) : st]) })] as [string, SnapshotBundle]))
    ]
    for (const [name, bundle] of forged) {
      await expect(bob.thread.adoptSnapshot(bundle, await follower.replica.heads(ta.id)), name).rejects.toMatchObject({ name })
    }
    // The follower keeps none of them either (a follower can check all but the sealed content).
    const followerShelf = remoteSnapshotShelf(async (r) => await follower.transport.request(r))
    for (const [name, bundle] of forged.slice(0, 4)) {
      await expect(followerShelf.put(ta.id, bundle), name).rejects.toMatchObject({ remoteName: name })
    }
    expect(await followerShelf.latest(ta.id).catch((e: Error) => e)).toMatchObject({ name: 'RemoteSnapshotError' }) // no pull proof: members only

    const join = await joinFromSnapshot({ thread: bob.thread, replica: bob.db.syncReplica(), transport: follower.transport, shelf: shelfOf(forged[0]![1]) })
    expect(join.refused?.name).toBe('SnapshotSignatureError')
    expect(join.snapshot).toBeUndefined()
    await join.rest
    expect(bob.thread.dump()).toEqual(ta.dump())
  })

  it('catches a snapshot that lies about content once the records are in, distrusts its publisher and rebuilds from the records', async () => {
    const { follower, alice, ta, carol, tc, honest } = await album()
    // Carol, a writer, signs a snapshot with a photo renamed and one made up.
    const lie = await forge({
      thread: tc,
      backend: carol.backend,
      honest,
      states: (states) => {
        const renamed = states.map(([coll, s]): readonly [string, DocState] => {
          if (s.id !== 'a1') return [coll, s]
          const inc = s.incarnations[s.current!]!
          return [coll, { ...s, incarnations: { ...s.incarnations, [s.current!]: { ...inc, fields: { ...inc.fields, title: { ...inc.fields.title!, value: 'Not what Alice wrote' } } } } }]
        })
        const [coll, template] = states.find(([, s]) => s.id === 'a2')!
        return [...renamed, [coll, { ...template, id: 'made-up' }]]
      }
    })
    const bob = await joiner(ta, follower, alice.db)
    const join = await joinFromSnapshot({ thread: bob.thread, replica: bob.db.syncReplica(), transport: follower.transport, shelf: shelfOf(lie) })
    expect(join.snapshot?.by).toBe(tc.logId)
    expect(bob.thread.collection('photos').get('made-up')).toBeDefined() // the lie shows until checked
    const { check } = await join.rest
    expect(check.state).toBe('refused')
    if (check.state !== 'refused') return
    expect(check.error.name).toBe('SnapshotMismatchError')
    expect(check.error.message).toContain('does not match the view its thread\'s records give')
    expect(bob.thread.dump()).toEqual(ta.dump())
    expect(bob.thread.collection('photos').get('made-up')).toBeUndefined()
    expect(await bob.thread.distrustedPublishers()).toEqual(new Set([tc.logId]))
    // Carol's snapshots are not used here any more, even honest ones.
    const fresh = await tc.publishSnapshot()
    const dave = await joiner(ta, follower, alice.db)
    expect((await dave.thread.adoptSnapshot(fresh, await follower.replica.heads(ta.id)))?.by).toBe(tc.logId)
    await expect(bob.thread.adoptSnapshot(fresh, await follower.replica.heads(ta.id))).rejects.toMatchObject({ name: 'SnapshotPublisherError' })
  })

  it('a snapshot message of the wrong shape is refused whole, by name, before anything reads it', async () => {
    const { follower, ta, honest } = await album()
    const put = (snapshot: unknown): Uint8Array => dagCbor.encode({ v: 2, type: 'snapshot-put', thread: ta.id, snapshot })
    const cases: Array<[string, Uint8Array]> = [
      ['MalformedMessageError', put({ root: honest.root, blocks: Array.from({ length: 1025 }, () => honest.blocks[0]) })],
      ['MalformedMessageError', put({ root: { cid: honest.root.cid }, blocks: [] })],
      ['BadCidError', put({ root: { cid: honest.root.cid.toUpperCase(), bytes: honest.root.bytes }, blocks: [] })]
    ]
    for (const [name, bytes] of cases) expect(() => decodeRequest(bytes), name).toThrow(expect.objectContaining({ name }))
    // Well formed but not a snapshot of this thread's writers: the follower answers by name and keeps the one it has.
    const response = await follower.handler({ v: 2, type: 'snapshot-put', thread: ta.id, snapshot: { root: honest.blocks[0]!, blocks: [] } })
    expect(response.response).toMatchObject({ type: 'error', name: 'MalformedSnapshotError' })
    expect((await follower.replica.snapshots!.latest(ta.id))?.root.cid).toBe(honest.root.cid)
  })

  it('a reader cannot publish, and a follower keeps only the newest snapshot', async () => {
    const { follower, alice, ta, honest } = await album()
    const bob = await joiner(ta, follower, alice.db)
    await syncThread({ thread: ta.id, replica: bob.db.syncReplica(), transport: follower.transport })
    await expect(bob.thread.publishSnapshot()).rejects.toMatchObject({ name: 'SnapshotPublisherError' })
    const shelf = remoteSnapshotShelf(async (r) => await follower.transport.request(r))
    await expect(shelf.put(ta.id, honest)).rejects.toMatchObject({ remoteName: 'StaleSnapshotError' })
    await ta.collection('photos').create({ _id: 'new', title: 'New', addedAt: 300 })
    await syncThread({ thread: ta.id, replica: alice.db.syncReplica(), transport: follower.transport })
    const newer = await ta.publishSnapshot()
    await shelf.put(ta.id, newer)
    expect((await follower.replica.snapshots!.latest(ta.id))?.root.cid).toBe(newer.root.cid)
  })
})
