/**
 * Keeps one thread in sync with one peer (a follower) in the background:
 * syncs when asked (after a local write) and on a timer, retries with backoff
 * while the peer is unreachable, and reports its state and how many local
 * records the peer has not acknowledged yet (the outbox). Records written
 * while offline are already durable in the local store; they simply stay
 * counted here until a sync pushes them.
 */
import { createLifecycle, type Startable } from '../lifecycle.ts'
import type { KeyValueStore } from '../storage/interfaces.ts'
import { syncThread, type SyncProgress, type SyncTransport } from './engine.ts'
import type { SkippedItem } from './messages.ts'
import { acknowledge, pendingFor } from './outbox.ts'
import type { SyncReplica } from './replica.ts'

/** What the scheduler reports. */
export interface SyncStatus {
  readonly peer: string
  readonly state: 'idle' | 'syncing' | 'synced' | 'offline'
  /** Local records the peer has not acknowledged. */
  readonly pending: number
  readonly progress?: SyncProgress
  readonly lastError?: { readonly name: string, readonly message: string }
  /** What the last completed sync skipped (announcements that could not be used), with why. */
  readonly skipped?: readonly SkippedItem[]
}

/** A scheduler; `start` syncs at once and then on its timer, `stop` clears the timer and waits for a sync in progress. */
export interface SyncScheduler extends Startable {
  /** Asks for a sync soon (after a local write, or when the network is back); nothing while not running. */
  kick(): void
  status(): SyncStatus
}

/** What a scheduler keeps in sync, and how. */
export interface SyncSchedulerOptions {
  readonly thread: string
  readonly peer: string
  readonly transport: SyncTransport
  readonly replica: SyncReplica
  /** Where acknowledged positions are kept, so the outbox survives restarts. */
  readonly meta: KeyValueStore
  readonly intervalMs?: number
  readonly maxBackoffMs?: number
  readonly onStatus?: (status: SyncStatus) => void
}

/** Starts keeping `thread` in sync with `peer` (a scheduler already started). */
export function startSyncScheduler (input: SyncSchedulerOptions): SyncScheduler {
  const scheduler = createSyncScheduler(input)
  void scheduler.start()
  return scheduler
}

/** Makes a scheduler that keeps `thread` in sync with `peer` once started. */
export function createSyncScheduler (input: SyncSchedulerOptions): SyncScheduler {
  const interval = input.intervalMs ?? 10_000
  const maxBackoff = input.maxBackoffMs ?? 30_000
  let current: SyncStatus = { peer: input.peer, state: 'idle', pending: 0 }
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<void> | undefined
  let again = false
  let failures = 0

  const publish = (next: Partial<SyncStatus>): void => {
    current = { ...current, ...next }
    input.onStatus?.(current)
  }

  const pendingCount = async (): Promise<number> => await pendingFor(input.meta, input.replica, input.thread, input.peer)

  async function once (): Promise<void> {
    publish({ state: 'syncing', pending: await pendingCount() })
    try {
      const result = await syncThread({
        thread: input.thread,
        replica: input.replica,
        transport: input.transport,
        signal: AbortSignal.timeout(120_000),
        onProgress: (progress) => { publish({ progress }) }
      })
      // Acknowledge what the peer now holds (not our heads now: a write during the sync was not sent).
      if (result.refused.length === 0) await acknowledge(input.meta, input.thread, input.peer, result.peerHeads)
      failures = 0
      publish({ state: 'synced', pending: await pendingCount(), lastError: undefined, progress: undefined, skipped: result.skipped.length > 0 ? result.skipped : undefined })
    } catch (error) {
      failures++
      publish({ state: 'offline', pending: await pendingCount(), lastError: { name: (error as Error).name, message: (error as Error).message }, progress: undefined })
    }
  }

  const live = (): boolean => lifecycle.state === 'starting' || lifecycle.state === 'running'

  function schedule (delay: number): void {
    if (!live()) return
    if (timer !== undefined) clearTimeout(timer)
    timer = setTimeout(() => { timer = undefined; run() }, delay)
  }

  function run (): void {
    if (!live()) return
    if (running !== undefined) { again = true; return }
    running = once().finally(() => {
      running = undefined
      if (again) { again = false; run(); return }
      schedule(failures === 0 ? interval : Math.min(maxBackoff, 500 * 2 ** Math.min(failures, 10)))
    })
  }

  const lifecycle = createLifecycle({
    what: `The sync of ${input.thread} with ${input.peer}`,
    start: () => { schedule(0) },
    stop: async () => {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      await running
    }
  })
  return {
    get state () { return lifecycle.state },
    start: async () => { await lifecycle.start() },
    stop: async () => { await lifecycle.stop() },
    kick: () => { schedule(0) },
    status: () => current
  }
}
