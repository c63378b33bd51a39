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
import { createRequestGate, type RequestGate } from '../../follower/request-gate.ts'

/** A round of `count` requests from different peers, each handled in `ms`; how many were taken. */
function round (gate: RequestGate, count: number, ms: number): number {
  const passes = Array.from({ length: count }, (_, i) => gate.enter(`peer-${i}`)).filter((p) => !(p instanceof Error))
  for (const pass of passes) { gate.handled(ms); (pass as Exclude<typeof pass, Error>).release() }
  return passes.length
}

/** Quick rounds, each filling the gate, until it takes `limit` at once (as a follower that has served a busy while). */
function grow (gate: RequestGate, limit: number): void {
  for (let i = 0; i < limit && gate.load().takenAtOnce < limit; i++) round(gate, limit, 1)
  expect(gate.load().takenAtOnce).toBe(limit)
}

describe('request gate and event-loop lag', () => {
  it('while the event loop runs late, takes a quarter of its concurrent requests and refuses more as busy; all again once it keeps time', () => {
    let lag = 0
    const limits = { ...DEFAULT_LIMITS, maxConcurrentRequests: 8 }
    const gate = createRequestGate(limits, () => lag)
    grow(gate, 8)
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

  it('starts at 16 at most and takes more only after quick rounds that filled it: a quiet spell does not raise it', () => {
    const limits = { ...DEFAULT_LIMITS, maxConcurrentRequests: 64, targetRequestMs: 200 }
    const gate = createRequestGate(limits)
    expect(gate.load().takenAtOnce).toBe(16)
    // A long quiet spell: quick answers, never more than two under way.
    for (let i = 0; i < 200; i++) round(gate, 2, 1)
    expect(gate.load().takenAtOnce).toBe(16)
    // A crowd arriving at once is taken 16 at a time; the rest hear why, in words.
    const passes = Array.from({ length: 64 }, (_, i) => gate.enter(`peer-${i}`))
    const refused = passes.filter((p) => p instanceof Error)
    expect(refused).toHaveLength(48)
    expect(refused[0]).toBeInstanceOf(FollowerBusyError)
    expect((refused[0] as Error).message).toMatch(/^the follower serves 16 requests at once \(of 64\), more as they are answered within 200 ms; try again in 1 s$/)
    // Answered in time, that full round earns half as many more at once, and so does the next.
    for (const pass of passes.filter((p) => !(p instanceof Error))) { gate.handled(50); (pass as Exclude<typeof pass, Error>).release() }
    expect(gate.load().takenAtOnce).toBe(24)
    expect(round(gate, 64, 50)).toBe(24)
    expect(gate.load().takenAtOnce).toBe(36)
    // After its first slow round, a quarter fewer; from then on, one more a quick full round.
    expect(round(gate, 64, 300)).toBe(36)
    expect(gate.load().takenAtOnce).toBe(27)
    expect(round(gate, 64, 50)).toBe(27)
    expect(gate.load().takenAtOnce).toBe(28)
    // A follower set to serve fewer than that serves all it is set to from the start.
    expect(createRequestGate({ ...limits, maxConcurrentRequests: 3 }).load().takenAtOnce).toBe(3)
  })

  it('while its answers take longer than the target, takes fewer requests at once and refuses the rest as busy; more again once they are quick', () => {
    const limits = { ...DEFAULT_LIMITS, maxConcurrentRequests: 16, targetRequestMs: 200 }
    const gate = createRequestGate(limits)
    grow(gate, 16)
    expect(round(gate, 16, 300)).toBe(16)
    // Slow answers: a quarter fewer at once; the one past that is refused in words.
    expect(gate.load().takenAtOnce).toBe(12)
    const passes = Array.from({ length: 12 }, (_, i) => gate.enter(`peer-${i}`))
    expect(passes.filter((p) => p instanceof Error)).toEqual([])
    const refused = gate.enter('peer-late')
    expect(refused).toBeInstanceOf(FollowerBusyError)
    expect((refused as Error).message).toMatch(/answers take over 200 ms, so it serves 12 requests at once \(of 16\); try again in 1 s/)
    for (const pass of passes) { gate.handled(300); (pass as Exclude<typeof pass, Error>).release() }
    // Never fewer than a quarter, however slow.
    for (let i = 0; i < 10; i++) round(gate, 16, 1000)
    expect(gate.load().takenAtOnce).toBe(4)
    expect(round(gate, 16, 1000)).toBe(4)
    // Quick answers: one more at once each round, up to the limit.
    round(gate, 16, 10)
    expect(gate.load().takenAtOnce).toBe(5)
    for (let i = 0; i < 20; i++) round(gate, 16, 10)
    expect(gate.load().takenAtOnce).toBe(16)
    expect(round(gate, 17, 10)).toBe(16)
  })

  it('a few slow requests among quick ones do not make it take fewer at once', () => {
    const limits = { ...DEFAULT_LIMITS, maxConcurrentRequests: 8, targetRequestMs: 200 }
    const gate = createRequestGate(limits)
    grow(gate, 8)
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
