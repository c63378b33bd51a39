/**
 * Announced pulls give back every sender's slot: a sender whose heads proved
 * false waits its interval on a timer of its own, so no flood of other
 * senders' announcements can leave its next pull waiting for ever (which would
 * hold one of the few pulling slots until the node restarts).
 */
import { describe, expect, it } from 'vitest'
import { createAnnouncedPulls, MAX_PULLING_SENDERS } from '../../src/services/announced-pulls.ts'
import type { LogPosition } from '../../src/core/sync/engine.ts'

const WAIT = { timeout: 10_000, interval: 10 }

describe('announced pulls', () => {
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
