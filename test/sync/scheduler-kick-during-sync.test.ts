/**
 * A sync asked for while another one runs is not lost when that one ends: a
 * photo added while the previous one is being sent reaches the follower
 * without waiting for the scheduler's interval (it used to wait up to a
 * minute, because rescheduling the periodic sync cleared the pending kick).
 *
 * Timers are faked while it matters, so the ordering that lost the kick (the
 * running sync ending before the kick's own timer fires) happens on every run.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { createSyncScheduler, type SyncStatus } from '../../src/core/sync/scheduler.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

afterEach(() => { vi.useRealTimers() })

describe('sync scheduler: a kick while a sync runs', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('sends a write made during a sync once that sync ends, not at the next interval', async () => {
    const follower = memoryFollower()
    const backend = createMemoryBackend()
    const db = openDatabase({ backend })
    const thread = await db.createThread({ name: 'Summer' })
    await follower.transport.request(await thread.followRequest())
    const photos = thread.collection('photos')

    // The next push waits here until released, so a write can be made while it is under way.
    let hold: { reached: () => void, released: Promise<void> } | undefined
    let onSynced: ((status: SyncStatus) => void) | undefined
    const scheduler = createSyncScheduler({
      thread: thread.id,
      peer: 'follower',
      transport: {
        request: async (request, options) => {
          const held = request.type === 'push' ? hold : undefined
          hold = undefined
          held?.reached()
          await held?.released
          return await follower.transport.request(request, options)
        }
      },
      replica: db.syncReplica(),
      meta: backend.meta,
      intervalMs: 600_000,
      onStatus: (status) => { if (status.state === 'synced') onSynced?.(status) }
    })
    await scheduler.start()
    await vi.waitFor(() => { expect(scheduler.status()).toMatchObject({ state: 'synced', pending: 0 }) }, { timeout: 30_000, interval: 20 })

    let release!: () => void
    const reached = new Promise<void>((resolve) => { hold = { reached: resolve, released: new Promise((resolve) => { release = resolve }) } })
    await photos.create({ title: 'Beach at dawn' })
    scheduler.kick({})
    await reached

    // From here the kick's timer fires only when the test says so.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    await photos.create({ title: 'Dunes at noon' })
    scheduler.kick({})
    const synced = new Promise<SyncStatus>((resolve) => { onSynced = resolve })
    release()
    // The first sync ends (sending the first photo only) before the kick's timer fires: no timer is advanced while waiting.
    expect(await synced).toMatchObject({ state: 'synced', pending: 1 })

    // Far less than the interval passes: the kick made during the sync runs now.
    await vi.advanceTimersByTimeAsync(1000)
    vi.useRealTimers()
    await vi.waitFor(() => { expect(scheduler.status()).toMatchObject({ state: 'synced', pending: 0 }) }, { timeout: 30_000, interval: 20 })
    const held = (await follower.replica.heads(thread.id)).find((h) => h.log === thread.logId)
    expect(held?.seq).toBe((await db.syncReplica().heads(thread.id)).find((h) => h.log === thread.logId)?.seq)

    await scheduler.stop()
    await db.close()
  })
})
