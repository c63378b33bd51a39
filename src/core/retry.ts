/**
 * Retrying with exponential backoff, for every loop that waits and tries again
 * (syncing with a peer, dialling the follower, dialling a direct peer): one
 * policy through p-retry, with each failed try logged with its cause.
 *
 * Guarantees: waits double from `minDelayMs` up to `maxDelayMs`; aborting
 * `signal` ends a wait at once (a try already running finishes first, and its
 * result is dropped); the returned promise rejects with the last try's error
 * once `attempts` are used up, or with the abort reason. A TypeError other than
 * a network failure is a bug, not bad luck, and is not retried.
 */
import pRetry from 'p-retry'
import type { Logger } from './logger.ts'

/** Options of retryWithBackoff. */
export interface RetryOptions {
  /** What is being tried, for the log ("dial the follower"). */
  readonly what: string
  readonly log: Logger
  readonly minDelayMs: number
  readonly maxDelayMs: number
  /** How many tries at most; unlimited unless given. */
  readonly attempts?: number
  readonly signal?: AbortSignal
  /** Called after each failed try (before the wait), for reporting state. */
  readonly onFailure?: (error: Error, attempt: number) => void
}

/** Runs `attempt` until it succeeds (see the module comment). */
export async function retryWithBackoff<T> (attempt: (attemptNumber: number) => Promise<T>, options: RetryOptions): Promise<T> {
  return await pRetry(attempt, {
    retries: options.attempts === undefined ? Number.POSITIVE_INFINITY : Math.max(0, options.attempts - 1),
    minTimeout: Math.min(options.minDelayMs, options.maxDelayMs),
    maxTimeout: options.maxDelayMs,
    factor: 2,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onFailedAttempt: ({ error, attemptNumber, retryDelay }) => {
      options.log.failure(`${options.what}: try ${attemptNumber} failed${retryDelay > 0 ? `, next in ${retryDelay} ms` : ''}`, error)
      options.onFailure?.(error, attemptNumber)
    }
  })
}
