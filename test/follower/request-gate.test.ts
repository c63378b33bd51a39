/**
 * While its event loop runs late (a long synchronous stretch just ended) the
 * follower serves fewer sync requests at once: past that the refusal is the
 * busy one, in words, and all are taken again once the loop keeps time. The lag is
 * what the event loop's own clock says, read here after blocking it.
 */
import { describe, expect, it } from 'vitest'
import { watchEventLoopLag } from '../../follower/event-loop-lag.ts'
import { FollowerBusyError } from '../../follower/limit-errors.ts'
import { DEFAULT_LIMITS } from '../../follower/limits.ts'
import { createRequestGate } from '../../follower/request-gate.ts'

describe('request gate and event-loop lag', () => {
  it('while the event loop runs late, takes a quarter of its concurrent requests and refuses more as busy; all again once it keeps time', () => {
    let lag = 0
    const limits = { ...DEFAULT_LIMITS, maxConcurrentRequests: 8 }
    const gate = createRequestGate(limits, () => lag)
    lag = limits.maxEventLoopLagMs + 1
    // A lone client is served whatever the lag (the lag it meets is its own request's), and so is a second.
    const first = gate.enter('peer-a')
    const second = gate.enter('peer-b')
    expect(first).not.toBeInstanceOf(Error)
    expect(second).not.toBeInstanceOf(Error)
    const refused = gate.enter('peer-c')
    expect(refused).toBeInstanceOf(FollowerBusyError)
    expect((refused as Error).message).toMatch(/ms behind.*serves the 2 requests.*try again in 1 s/)
    // What was refused holds no place.
    expect(gate.load().requests).toBe(2)
    lag = 0
    const taken = Array.from({ length: 6 }, (_, i) => gate.enter(`peer-${i}`))
    expect(taken.filter((p) => p instanceof Error)).toEqual([])
    expect(gate.load().requests).toBe(8)
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
