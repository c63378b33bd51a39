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

  it('while its answers take longer than the target, takes fewer requests at once and refuses the rest as busy; more again once they are quick', () => {
    const limits = { ...DEFAULT_LIMITS, maxConcurrentRequests: 16, targetRequestMs: 200 }
    const gate = createRequestGate(limits)
    /** A round of `count` requests from different peers, each handled in `ms`; how many were taken. */
    const round = (count: number, ms: number): number => {
      const passes = Array.from({ length: count }, (_, i) => gate.enter(`peer-${i}`)).filter((p) => !(p instanceof Error))
      for (const pass of passes) { gate.handled(ms); (pass as Exclude<typeof pass, Error>).release() }
      return passes.length
    }
    expect(round(16, 300)).toBe(16)
    // Slow answers: a quarter fewer at once; the one past that is refused in words.
    expect(gate.load().takenAtOnce).toBe(12)
    const passes = Array.from({ length: 12 }, (_, i) => gate.enter(`peer-${i}`))
    expect(passes.filter((p) => p instanceof Error)).toEqual([])
    const refused = gate.enter('peer-late')
    expect(refused).toBeInstanceOf(FollowerBusyError)
    expect((refused as Error).message).toMatch(/answers take over 200 ms, so it serves 12 requests at once \(of 16\); try again in 1 s/)
    for (const pass of passes) { gate.handled(300); (pass as Exclude<typeof pass, Error>).release() }
    // Never fewer than a quarter, however slow.
    for (let i = 0; i < 10; i++) round(16, 1000)
    expect(gate.load().takenAtOnce).toBe(4)
    expect(round(16, 1000)).toBe(4)
    // Quick answers: one more at once each round, up to the limit.
    round(16, 10)
    expect(gate.load().takenAtOnce).toBe(5)
    for (let i = 0; i < 20; i++) round(16, 10)
    expect(gate.load().takenAtOnce).toBe(16)
    expect(round(17, 10)).toBe(16)
  })

  it('a few slow requests among quick ones do not make it take fewer at once', () => {
    const limits = { ...DEFAULT_LIMITS, maxConcurrentRequests: 8, targetRequestMs: 200 }
    const gate = createRequestGate(limits)
    // In each round of eight answers, three requests took a minute to handle; the median is quick.
    for (let r = 0; r < 5; r++) {
      for (let i = 0; i < 8; i++) gate.handled(i < 3 ? 60_000 : 10)
    }
    expect(gate.load().takenAtOnce).toBe(8)
    expect(Array.from({ length: 8 }, (_, i) => gate.enter(`peer-${i}`)).filter((p) => p instanceof Error)).toEqual([])
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
