/** Retrying with backoff (src/core/retry.ts) and how the logger describes a failure (src/core/logger.ts). */
import { describe, expect, it } from 'vitest'
import { ThreadsError } from '../../src/core/errors.ts'
import { createLogger, describeError } from '../../src/core/logger.ts'
import { retryWithBackoff } from '../../src/core/retry.ts'

const log = createLogger('test:retry')

describe('retryWithBackoff', () => {
  it('tries again after each failure until the work succeeds, telling of each failure', async () => {
    const failures: number[] = []
    const result = await retryWithBackoff(async (attempt) => {
      if (attempt < 3) throw new Error(`refused ${attempt}`)
      return `done on ${attempt}`
    }, { what: 'work', log, minDelayMs: 1, maxDelayMs: 4, onFailure: (_error, attempt) => failures.push(attempt) })
    expect(result).toBe('done on 3')
    expect(failures).toEqual([1, 2])
  })

  it('gives up after the tries it is allowed, with the last error', async () => {
    let tries = 0
    const error = await retryWithBackoff(async () => { tries++; throw new Error(`refused ${tries}`) },
      { what: 'work', log, minDelayMs: 1, maxDelayMs: 2, attempts: 4 }).catch((e: Error) => e)
    expect(tries).toBe(4)
    expect((error as Error).message).toBe('refused 4')
  })

  it('ends a wait between tries as soon as it is aborted, with the abort reason', async () => {
    const controller = new AbortController()
    let tries = 0
    const running = retryWithBackoff(async () => {
      tries++
      // The first failure starts a wait of an hour; aborting must end it.
      queueMicrotask(() => { setTimeout(() => { controller.abort(new Error('stopped')) }, 0) })
      throw new Error('refused')
    }, { what: 'work', log, minDelayMs: 3_600_000, maxDelayMs: 3_600_000, signal: controller.signal })
    await expect(running).rejects.toThrow('stopped')
    expect(tries).toBe(1)
  })
})

describe('describeError', () => {
  it('names the error and every cause beneath it, in order', () => {
    const root = new TypeError('socket hang up')
    const middle = new ThreadsError('The follower could not be reached', { cause: root })
    const top = new ThreadsError('Album sync failed', { cause: middle })
    const text = describeError(top)
    const lines = text.split('\n').filter((line) => !/^\s+at /.test(line))
    expect(lines).toEqual([
      'ThreadsError: Album sync failed',
      'caused by ThreadsError: The follower could not be reached',
      'caused by TypeError: socket hang up'
    ])
  })

  it('stops after a bounded chain, even a cycle', () => {
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    ;(a as { cause?: unknown }).cause = b
    expect(describeError(a).split('\n').filter((line) => line.startsWith('caused by'))).toHaveLength(8)
  })

  it('describes a thrown value that is not an Error', () => {
    expect(describeError('plain text')).toBe('plain text')
  })
})
