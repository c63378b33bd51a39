/**
 * The lifecycle every long-lived part shares (sync schedulers, the follower
 * link, direct peers, the album service): explicit states instead of loose
 * booleans, in the spirit of libp2p's `Startable`.
 *
 * Guarantees: `start` runs the part's start step once, however often it is
 * called; `stop` is idempotent, waits for a start under way, and runs the stop
 * step once, so timers and listeners are released exactly once. A part whose
 * start step fails is stopped (its stop step releases what the start made) and
 * reports the failure. A stopped part does not start again: make a new one.
 */
import { ThreadsError } from './errors.ts'
import { createLogger } from './logger.ts'

const log = createLogger('lifecycle')

/** Where a long-lived part stands. */
export type LifecycleState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped'

/** A long-lived part with an explicit lifecycle. */
export interface Startable {
  readonly state: LifecycleState
  /** Starts the part; resolves once it runs. Calling it again while starting or running changes nothing. */
  start(): Promise<void>
  /** Stops the part and releases its timers and listeners; safe to call any number of times, in any state. */
  stop(): Promise<void>
}

/** `start` was called on a part that was stopped (or is stopping): a stopped part does not come back. */
export class StoppedError extends ThreadsError {
  static override readonly errorName = 'StoppedError'
}

/** A part was asked to do something while it was not running (before `start`, or after `stop`). */
export class NotRunningError extends ThreadsError {
  static override readonly errorName = 'NotRunningError'
}

/** The steps of a part; `what` names it in errors. */
export interface LifecycleSteps {
  readonly what: string
  readonly start?: () => void | Promise<void>
  readonly stop: () => void | Promise<void>
}

/** Wraps a part's start and stop steps in the shared state machine. */
export function createLifecycle ({ what, start, stop }: LifecycleSteps): Startable {
  let state: LifecycleState = 'idle'
  let starting: Promise<void> | undefined
  let stopping: Promise<void> | undefined
  /** The stop step, run once: by `stop`, or by a start step that failed. */
  let stopRun: Promise<void> | undefined

  const stopOnce = async (): Promise<void> => {
    stopRun ??= (async () => {
      state = 'stopping'
      try {
        await stop()
      } finally {
        state = 'stopped'
      }
    })()
    await stopRun
  }

  return {
    get state () { return state },
    async start () {
      if (state === 'stopping' || state === 'stopped' || stopping !== undefined) throw new StoppedError(`${what} was stopped and cannot start again`)
      starting ??= (async () => {
        state = 'starting'
        try {
          await start?.()
        } catch (error) {
          // The start failure is the one worth reporting; a failure to undo it is logged.
          await stopOnce().catch((stopError: unknown) => { log.failure(`${what}: undoing a failed start`, stopError) })
          throw error
        }
        state = 'running'
      })()
      await starting
    },
    async stop () {
      stopping ??= (async () => {
        if (state === 'idle') { state = 'stopped'; return }
        // Let a start under way finish (or fail) before undoing it.
        await starting?.catch((error: unknown) => { log('%s: its failed start was reported to the caller of start: %s', what, (error as Error)?.name) })
        await stopOnce()
      })()
      await stopping
    }
  }
}
