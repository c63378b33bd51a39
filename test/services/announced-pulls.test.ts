/**
 * Announced pulls give back every sender's slot: a sender whose heads proved
 * false waits its interval on a timer of its own, so no flood of other
 * senders' announcements can leave its next pull waiting for ever (which would
 * hold one of the few pulling slots until the node restarts). Heads of a log
 * whose writer pushes it here itself are pulled only if its push did not come.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAnnouncedPulls, MAX_PULLING_SENDERS, PUSHED_WAIT_MS } from '../../src/services/announced-pulls.ts'
import type { LogPosition } from '../../src/core/sync/engine.ts'

const WAIT = { timeout: 10_000, interval: 10 }

afterEach(() => { vi.useRealTimers() })

describe('announced pulls', () => {
  it('an announcement of a directly connected writer\'s log starts no pull when the writer\'s push arrives meanwhile, and a pull when it does not', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    const held = new Map<string, number>()
    const pulled: string[] = []
    const pulls = createAnnouncedPulls({
      holdsAll: async (_album, heads) => heads.every((h) => (held.get(h.log) ?? 0) >= h.seq),
      pull: async (_album, heads) => { pulled.push(...heads.map((h) => `${h.log}:${h.seq}`)) },
      // Alice pushes her log here over a direct connection; Carol does not.
      pushed: (_album, heads) => heads.every((h) => h.log === 'a'),
      onError: (_album, error) => { throw error }
    })
    // Alice's push of her record lands a little after the follower's announcement of it: nothing is pulled.
    pulls.announced('album', 'follower', [{ log: 'a', seq: 1 }])
    await vi.advanceTimersByTimeAsync(50)
    held.set('a', 1)
    await vi.advanceTimersByTimeAsync(PUSHED_WAIT_MS)
    expect(pulled).toEqual([])
    expect(pulls.pulling()).toBe(0)
    // Her next push never comes (the connection went silent): the record is pulled once the wait is over, not before.
    pulls.announced('album', 'alice', [{ log: 'a', seq: 2 }])
    await vi.advanceTimersByTimeAsync(PUSHED_WAIT_MS - 10)
    expect(pulled).toEqual([])
    await vi.advanceTimersByTimeAsync(10)
    expect(pulled).toEqual(['a:2'])
    // Someone not connected directly is pulled from at once.
    pulls.announced('album', 'carol', [{ log: 'c', seq: 1 }])
    await vi.advanceTimersByTimeAsync(0)
    expect(pulled).toEqual(['a:2', 'c:1'])
  })

  it('a sender whose heads proved false pulls again after its interval, however many others announce meanwhile, and every slot is given back', async () => {
    const pulled: string[] = []
    const pulls = createAnnouncedPulls({
      // Nothing announced is ever held here: every sender's heads prove false.
      holdsAll: async () => false,
      pull: async (_album: string, heads: readonly LogPosition[]) => { pulled.push(heads[0]!.log) },
      intervalMs: 50,
      onError: (_album, error) => { throw error }
    })
    pulls.announced('album', 'mallory', [{ log: 'm', seq: 1 }])
    await expect.poll(() => pulled.length, WAIT).toBe(1)
    // Mallory's next word waits her interval; meanwhile thousands of others announce (more than any table here remembers).
    pulls.announced('album', 'mallory', [{ log: 'm', seq: 2 }])
    for (let i = 0; i < 3000; i++) pulls.announced('album', `sender ${i}`, [{ log: `s${i}`, seq: 1 }])
    expect(pulls.pulling()).toBeLessThanOrEqual(MAX_PULLING_SENDERS)
    // Her second pull still happens, and once every pull ended no slot stays taken.
    await expect.poll(() => pulled.filter((log) => log === 'm').length, WAIT).toBe(2)
    await expect.poll(() => pulls.pulling(), WAIT).toBe(0)
    // A new sender is pulled at once after the flood.
    pulls.announced('album', 'alice', [{ log: 'a', seq: 1 }])
    await expect.poll(() => pulled.includes('a'), WAIT).toBe(true)
  })
})
