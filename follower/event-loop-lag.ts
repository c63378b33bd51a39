/**
 * How late the follower's event loop runs, read often enough that a request
 * arriving after a long synchronous stretch (a large batch verified, an ACL
 * evaluated, a full garbage collection) sees it: the request gate refuses new
 * work while the loop lags, so what is under way finishes and `/health` stays
 * quick, rather than queueing more behind it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'

/** The lag seen in the last window, and a way to stop watching. */
export interface EventLoopLag {
  /** Milliseconds by which the event loop ran late at worst over the last window (about `windowMs`). */
  lagMs(): number
  stop(): void
}

/** Watches the event loop's delay, in windows of `windowMs` (the slowest turn of the last full window counts, or of the current one if slower). */
export function watchEventLoopLag (options: { windowMs?: number } = {}): EventLoopLag {
  const windowMs = options.windowMs ?? 250
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  let lastWindowMs = 0
  let due = performance.now() + windowMs
  // A timer of its own: when the loop was blocked, it fires (late) before the I/O that waited,
  // so a request then sees the lag, measured here too as how late this timer ran.
  const timer = setInterval(() => {
    const now = performance.now()
    lastWindowMs = Math.max(histogram.max / 1e6, now - due)
    due = now + windowMs
    histogram.reset()
  }, windowMs)
  timer.unref()
  return {
    lagMs: () => Math.max(lastWindowMs, histogram.max / 1e6),
    stop: () => { clearInterval(timer); histogram.disable() }
  }
}
