/**
 * Offline writing: with the follower down, a writer's events are stored
 * locally and counted as pending; the scheduler reports "offline" in words.
 * When the follower comes back (same data, same address), the queue flushes by
 * itself and a late joiner pulls everything from the follower.
 */
import { describe, expect, it } from 'vitest'
import { startSyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { startSyncScheduler, type SyncStatus } from '../../src/core/sync/scheduler.ts'
import { freePort, startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'

describe('offline queue', { timeout: 120_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('keeps writes durable while the follower is down and flushes them when it returns', async () => {
    const dataDir = await tempDir('threads-offline-', cleanup)
    const port = await freePort()
    let follower: FollowerProcess = await startFollowerProcess(dataDir, { port })
    cleanup(async () => await follower.stop())

    const backend = createMemoryBackend()
    const db = openDatabase({ backend })
    const thread = await db.createThread()
    const peer = await startSyncPeer()
    cleanup(async () => await peer.stop())
    const transport = peer.transportTo(follower.multiaddr)
    expect((await transport.request(await thread.followRequest())).type).toBe('following')

    const seen: SyncStatus[] = []
    const scheduler = startSyncScheduler({ thread: thread.id, peer: follower.multiaddr, transport, replica: db.syncReplica(), meta: backend.meta, intervalMs: 60_000, maxBackoffMs: 500, onStatus: (s) => seen.push(s) })
    cleanup(async () => await scheduler.stop())
    await expect.poll(() => scheduler.status().state, { timeout: 20_000 }).toBe('synced')

    await follower.stop()
    const photos = thread.collection('photos')
    for (let i = 0; i < 30; i++) await photos.create({ _id: `offline-${i}`, n: i })
    scheduler.kick()
    await expect.poll(() => scheduler.status().state, { timeout: 20_000 }).toBe('offline')
    expect(scheduler.status().pending).toBe(30)
    expect(scheduler.status().lastError?.message.length).toBeGreaterThan(0)
    expect(photos.find({}).length).toBe(30) // the writer keeps working offline

    follower = await startFollowerProcess(dataDir, { port })
    await expect.poll(() => scheduler.status().state, { timeout: 30_000, interval: 200 }).toBe('synced')
    expect(scheduler.status().pending).toBe(0)
    expect(seen.some((s) => s.progress?.phase === 'push')).toBe(true)

    const late = openDatabase({ backend: createMemoryBackend() })
    const joined = await late.acceptInvite(await thread.invite({ role: 'admin' }))
    // The invite reaches the follower, so it takes the joiner's join and serves it.
    await syncThread({ thread: thread.id, replica: db.syncReplica(), transport })
    const reader = await startSyncPeer()
    cleanup(async () => await reader.stop())
    await syncThread({ thread: joined.id, replica: late.syncReplica(), transport: reader.transportTo(follower.multiaddr) })
    expect(joined.dump()).toEqual(thread.dump())
  })
})
