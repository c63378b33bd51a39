/**
 * The follower takes no new sync request while its event loop runs late (a
 * long synchronous stretch just ended): the refusal is the busy one, in
 * words, and requests are taken again once the loop keeps time. The lag is
 * what the event loop's own clock says, read here after blocking it.
 */
import { describe, expect, it } from 'vitest'
import { watchEventLoopLag } from '../../follower/event-loop-lag.ts'
import { FollowerBusyError } from '../../follower/limit-errors.ts'
import { DEFAULT_LIMITS } from '../../follower/limits.ts'
import { createRequestGate } from '../../follower/request-gate.ts'

describe('request gate and event-loop lag', () => {
  it('refuses new requests as busy while the event loop runs late, and takes them again once it keeps time', () => {
    let lag = 0
    const gate = createRequestGate(DEFAULT_LIMITS, () => lag)
    const first = gate.enter('peer-a')
    expect(first).not.toBeInstanceOf(Error)
    lag = DEFAULT_LIMITS.maxEventLoopLagMs + 1
    const refused = gate.enter('peer-b')
    expect(refused).toBeInstanceOf(FollowerBusyError)
    expect((refused as Error).message).toMatch(/ms behind.*try again in 1 s/)
    // What was refused holds no place; what was under way still releases its own.
    expect(gate.load().requests).toBe(1)
    if (!(first instanceof Error)) first.release()
    lag = 0
    const later = gate.enter('peer-b')
    expect(later).not.toBeInstanceOf(Error)
    expect(gate.load().requests).toBe(1)
  })

  it('sees a blocked event loop once it runs again', async () => {
    const watcher = watchEventLoopLag({ windowMs: 50 })
    try {
      const blockedFor = 400
      const start = performance.now()
      while (performance.now() - start < blockedFor) { /* blocks the event loop, as a long synchronous evaluation would */ }
      await new Promise((resolve) => setTimeout(resolve, 0))
      expect(watcher.lagMs()).toBeGreaterThanOrEqual(300)
    } finally {
      watcher.stop()
    }
  })
})
