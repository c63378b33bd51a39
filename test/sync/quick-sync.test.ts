/**
 * Syncs asked for by a local write or an announcement go from what the
 * follower acknowledged, with no heads round trip: the write reaches the
 * follower and the announced head reaches the other member, who does not
 * push it back. An announcement's
 * heads are hints from anyone on the topic: one the follower holds nothing of
 * costs one pull and no more, and changes nothing (even when it names the
 * member's own log, whose writes the follower lacks: they are still pushed);
 * a follower that lost what it acknowledged still ends with
 * everything, through the full sync that follows.
 */
import { describe, expect, it, vi } from 'vitest'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread, type SyncTransport } from '../../src/core/sync/engine.ts'
import type { SyncRequest } from '../../src/core/sync/messages.ts'
import { createSyncScheduler, type SyncScheduler } from '../../src/core/sync/scheduler.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

type Follower = ReturnType<typeof memoryFollower>

/** A transport to whichever follower `target()` names, noting the type of each request. */
function noting (target: () => Follower): { transport: SyncTransport, asked: Array<SyncRequest['type']> } {
  const asked: Array<SyncRequest['type']> = []
  return { asked, transport: { request: async (request, options) => { asked.push(request.type); return await target().transport.request(request, options) } } }
}

async function person (target: () => Follower, thread: (db: ReturnType<typeof openDatabase>) => Promise<ThreadDatabase>) {
  const backend = createMemoryBackend()
  const db = openDatabase({ backend })
  const t = await thread(db)
  const { transport, asked } = noting(target)
  const scheduler = createSyncScheduler({ thread: t.id, peer: 'follower', transport, replica: db.syncReplica(), meta: backend.meta, intervalMs: 600_000, maxBackoffMs: 500 })
  return { db, t, asked, scheduler }
}

async function settled (scheduler: SyncScheduler): Promise<void> {
  await vi.waitFor(() => { expect(scheduler.status()).toMatchObject({ state: 'synced', pending: 0 }) }, { timeout: 30_000, interval: 10 })
}

const ownHead = async (db: ReturnType<typeof openDatabase>, t: ThreadDatabase): Promise<number> => (await db.syncReplica().heads(t.id)).find((h) => h.log === t.logId)!.seq

/** Alice's album on a follower, and Bob in it, both synced once. */
async function twoMembersSynced () {
  const f = memoryFollower()
  const alice = await person(() => f, async (db) => await db.createThread({ name: 'Summer' }))
  await f.transport.request(await alice.t.followRequest())
  const bob = await person(() => f, async (db) => await db.acceptInvite(await alice.t.invite({ role: 'admin' })))
  await alice.scheduler.start()
  await settled(alice.scheduler)
  await bob.scheduler.start()
  await settled(bob.scheduler)
  return { f, alice, bob }
}

describe('syncs from acknowledged positions', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('pushes a write and pulls an announced head without asking the follower its heads', async () => {
    const { f, alice, bob } = await twoMembersSynced()
    alice.asked.length = 0
    bob.asked.length = 0

    const photo = await alice.t.collection('photos').create({ title: 'Beach at dawn' })
    alice.scheduler.kick({})
    await vi.waitFor(async () => { expect(alice.asked).toContain('push'); await settled(alice.scheduler) }, { timeout: 30_000, interval: 10 })
    expect(alice.asked).not.toContain('heads')

    bob.scheduler.kick({ heads: [{ log: alice.t.logId, seq: await ownHead(alice.db, alice.t) }] })
    await vi.waitFor(() => { expect(bob.t.collection('photos').get(photo)).toMatchObject({ title: 'Beach at dawn' }) }, { timeout: 30_000, interval: 10 })
    await settled(bob.scheduler)
    expect(bob.asked).not.toContain('heads')
    // What Bob pulled from the follower is not sent back to it.
    expect(bob.asked).not.toContain('push')
    expect(f.abuse()).toBe(0)
    await Promise.all([alice.scheduler.stop(), bob.scheduler.stop()])
    await Promise.all([alice.db.close(), bob.db.close()])
  })

  it('costs one pull, and no heads round trip, for announced heads the follower does not hold, and changes nothing', async () => {
    const f = memoryFollower()
    const alice = await person(() => f, async (db) => await db.createThread({ name: 'Summer' }))
    await f.transport.request(await alice.t.followRequest())
    await alice.t.collection('photos').create({ title: 'Beach at dawn' })
    const bob = await person(() => f, async (db) => await db.acceptInvite(await alice.t.invite({ role: 'admin' })))
    await alice.scheduler.start()
    await settled(alice.scheduler)
    await bob.scheduler.start()
    await settled(bob.scheduler)
    const before = bob.t.dump()
    bob.asked.length = 0

    bob.scheduler.kick({ heads: [{ log: alice.t.logId, seq: 1_000_000 }, { log: generateLogIdentity().logId, seq: 5 }] })
    await vi.waitFor(async () => { expect(bob.asked).toContain('pull'); await settled(bob.scheduler) }, { timeout: 30_000, interval: 10 })
    expect(bob.asked.filter((type) => type === 'pull')).toHaveLength(1)
    expect(bob.asked).not.toContain('heads')
    expect(bob.scheduler.status().lastError).toBeUndefined()
    expect(bob.t.dump()).toEqual(before)
    await Promise.all([alice.scheduler.stop(), bob.scheduler.stop()])
    await Promise.all([alice.db.close(), bob.db.close()])
  })

  it('still pushes a member\'s writes when an announcement claims the follower holds her log far beyond them', async () => {
    const f = memoryFollower()
    const alice = await person(() => f, async (db) => await db.createThread({ name: 'Summer' }))
    await f.transport.request(await alice.t.followRequest())
    const invite = await alice.t.invite({ role: 'read' })
    await alice.scheduler.start()
    await settled(alice.scheduler)
    // Written while the scheduler is told nothing: the follower lacks it.
    const photo = await alice.t.collection('photos').create({ title: 'Beach at dawn' })
    const own = await ownHead(alice.db, alice.t)
    alice.asked.length = 0

    // Another member announces Alice's own log at a head the follower never had.
    alice.scheduler.kick({ heads: [{ log: alice.t.logId, seq: own + 1000 }] })
    await vi.waitFor(async () => { expect(alice.asked).toContain('push'); await settled(alice.scheduler) }, { timeout: 30_000, interval: 10 })
    expect(alice.scheduler.status().held).toContainEqual({ log: alice.t.logId, seq: own })

    const reader = openDatabase({ backend: createMemoryBackend() })
    const t = await reader.acceptInvite(invite)
    await alice.scheduler.stop()
    // What the scheduler pushed, and only that, reaches a reader through the follower.
    await syncThread({ thread: t.id, replica: reader.syncReplica(), transport: f.transport })
    expect(t.collection('photos').get(photo)).toMatchObject({ title: 'Beach at dawn' })
    await Promise.all([alice.db.close(), reader.close()])
  })

  it('costs a sync or two, not one an announcement, for a flood of announcements naming made-up logs', async () => {
    const { alice, bob } = await twoMembersSynced()
    const before = bob.t.dump()
    bob.asked.length = 0

    // As many announcements as a member could send in a burst, each naming a log nobody holds.
    const made = Array.from({ length: 1100 }, () => generateLogIdentity().logId)
    for (const log of made) bob.scheduler.kick({ heads: [{ log, seq: 1 }] })
    await vi.waitFor(async () => { expect(bob.asked.length).toBeGreaterThan(0); await settled(bob.scheduler) }, { timeout: 30_000, interval: 10 })
    // The hints kept are bounded: past what one pull names, one ordinary sync asks the heads instead.
    expect(bob.asked.filter((type) => type === 'heads').length).toBeLessThanOrEqual(2)
    expect(bob.asked.filter((type) => type === 'pull').length).toBeLessThanOrEqual(2)
    expect(bob.t.dump()).toEqual(before)
    await Promise.all([alice.scheduler.stop(), bob.scheduler.stop()])
    await Promise.all([alice.db.close(), bob.db.close()])
  })

  it('sends everything to a follower that lost what it acknowledged', async () => {
    const first = memoryFollower()
    const second = memoryFollower()
    let target = first
    const alice = await person(() => target, async (db) => await db.createThread({ name: 'Summer' }))
    await first.transport.request(await alice.t.followRequest())
    await alice.t.collection('photos').create({ title: 'Beach at dawn' })
    await alice.scheduler.start()
    await settled(alice.scheduler)

    // The follower is replaced by one that holds only the follow (its storage was lost).
    await second.transport.request(await alice.t.followRequest())
    target = second
    alice.asked.length = 0
    const invite = await alice.t.invite({ role: 'admin' })
    await alice.t.collection('photos').create({ title: 'Dunes' })
    alice.scheduler.kick({})
    await vi.waitFor(async () => { expect(alice.asked).toContain('heads'); await settled(alice.scheduler) }, { timeout: 30_000, interval: 10 })

    // Another member reading from the second follower alone gets both photos.
    const reader = openDatabase({ backend: createMemoryBackend() })
    const t = await reader.acceptInvite(invite)
    await syncThread({ thread: t.id, replica: reader.syncReplica(), transport: second.transport })
    expect(t.collection('photos').find({}).map((p) => p.title).sort()).toEqual(['Beach at dawn', 'Dunes'])
    await alice.scheduler.stop()
    await Promise.all([alice.db.close(), reader.close()])
  })
})

describe('what the follower sent, when pushing to it fails', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('counts only this person\'s own unsent writes as waiting, not the records it just pulled from the follower', async () => {
    const f = memoryFollower()
    const backend = createMemoryBackend()
    const db = openDatabase({ backend })
    const t = await db.createThread({ name: 'Summer' })
    await f.transport.request(await t.followRequest())
    // Pushes fail once the link is cut (the follower went out of reach mid-sync); heads and pulls still go through.
    let cut = false
    const transport: SyncTransport = { request: async (request, options) => { if (cut && request.type === 'push') throw new Error('the connection closed'); return await f.transport.request(request, options) } }
    const scheduler = createSyncScheduler({ thread: t.id, peer: 'follower', transport, replica: db.syncReplica(), meta: backend.meta, intervalMs: 600_000, maxBackoffMs: 60_000 })
    const bob = await person(() => f, async (bobDb) => await bobDb.acceptInvite(await t.invite({ role: 'write' })))
    await scheduler.start()
    await settled(scheduler)
    // Bob joins and writes; the follower takes both.
    await bob.t.collection('photos').create({ title: 'Dunes' })
    await bob.scheduler.start()
    await settled(bob.scheduler)

    cut = true
    await t.collection('photos').create({ title: 'Beach at dawn' })
    scheduler.kick({ heads: [{ log: bob.t.logId, seq: await ownHead(bob.db, bob.t) }] })
    // Bob's join and photo come in from the follower; her own photo cannot go out.
    await vi.waitFor(() => { expect(t.collection('photos').find({}).map((p) => p.title).sort()).toEqual(['Beach at dawn', 'Dunes']) }, { timeout: 30_000, interval: 10 })
    await vi.waitFor(() => { expect(scheduler.status()).toMatchObject({ state: 'offline' }) }, { timeout: 30_000, interval: 10 })
    expect(scheduler.status().pending).toBe(1)
    await Promise.all([scheduler.stop(), bob.scheduler.stop()])
    await Promise.all([db.close(), bob.db.close()])
  })
})
