/**
 * A sync scheduler's lifecycle: it syncs once started, `stop` (however often)
 * waits for the sync under way and clears its timer, and a stopped scheduler
 * neither syncs when kicked nor starts again.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { createSyncScheduler } from '../../src/core/sync/scheduler.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

afterEach(() => { vi.useRealTimers() })

describe('sync scheduler lifecycle', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('syncs once started, stops once, and then stays stopped', async () => {
    const follower = memoryFollower()
    const backend = createMemoryBackend()
    const db = openDatabase({ backend })
    const thread = await db.createThread({ name: 'Summer' })
    await follower.transport.request(await thread.followRequest())
    await thread.collection('photos').create({ title: 'beach' })
    let requests = 0
    const scheduler = createSyncScheduler({
      thread: thread.id,
      peer: 'follower',
      transport: { request: async (request, options) => { requests++; return await follower.transport.request(request, options) } },
      replica: db.syncReplica(),
      meta: backend.meta,
      intervalMs: 600_000
    })
    expect(scheduler.state).toBe('idle')
    scheduler.kick() // not running: nothing happens
    await scheduler.start()
    expect(scheduler.state).toBe('running')
    await vi.waitFor(() => { expect(scheduler.status()).toMatchObject({ state: 'synced', pending: 0 }) }, { timeout: 30_000, interval: 20 })
    scheduler.kick()
    await Promise.all([scheduler.stop(), scheduler.stop()])
    expect(scheduler.state).toBe('stopped')
    const made = requests

    vi.useFakeTimers()
    scheduler.kick()
    await vi.advanceTimersByTimeAsync(1_200_000)
    expect(requests).toBe(made)
    await expect(scheduler.start()).rejects.toMatchObject({ name: 'StoppedError' })
    await db.close()
  })
})
