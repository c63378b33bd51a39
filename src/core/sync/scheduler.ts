/**
 * Keeps one thread in sync with one peer (a follower) in the background:
 * syncs when asked (after a local write) and on a timer, retries with backoff
 * while the peer is unreachable, and reports its state and how many local
 * records the peer has not acknowledged yet (the outbox). Records written
 * while offline are already durable in the local store; they simply stay
 * counted here until a sync pushes them.
 */
import { createLifecycle, type Startable } from '../lifecycle.ts'
import { createLogger } from '../logger.ts'
import { retryWithBackoff } from '../retry.ts'
import type { KeyValueStore } from '../storage/interfaces.ts'
import { SyncRemoteError, syncThread, type LogPosition, type SyncProgress, type SyncTransport } from './engine.ts'
import { MAX_LOGS_PER_REQUEST } from './messages.ts'
import { acknowledge, acknowledged, acknowledgeServed, pendingFor } from './outbox.ts'
import type { SyncReplica } from './replica.ts'

const log = createLogger('sync:scheduler')

/** What the scheduler reports. */
export interface SyncStatus {
  readonly peer: string
  readonly state: 'idle' | 'syncing' | 'synced' | 'offline'
  /** Local records the peer has not acknowledged. */
  readonly pending: number
  /** How far the peer holds each log, as of the last sync that went through. */
  readonly held?: readonly LogPosition[]
  readonly progress?: SyncProgress
  readonly lastError?: { readonly name: string, readonly message: string }
}

/** A scheduler; `start` syncs at once and then on its timer, `stop` clears the timer and waits for a sync in progress. */
export interface SyncScheduler extends Startable {
  /**
   * Asks for a sync soon; nothing while not running. With no hint (the network
   * is back, a new key) the sync asks the peer its heads first; with a hint (a
   * local write, an announcement) it goes from what the peer acknowledged,
   * pulling up to the heads the hint names, and asks the heads only if that fails.
   * Resolves once a sync that began after the kick has ended (or failed), or
   * the scheduler stopped: what a caller limiting its kicks waits for.
   */
  kick(hint?: SyncHint): Promise<void>
  status(): SyncStatus
}

/** Why a sync is asked for: a local write (no heads), or an announcement of the heads someone's records reached (untrusted: they are only pulled up to). */
export interface SyncHint {
  readonly heads?: readonly LogPosition[]
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
  // When the pending timer fires.
  let timerDue = 0
  let running: Promise<void> | undefined
  // Aborted by a kick or stop: ends the wait between failed tries at once.
  let wake: AbortController | undefined
  let again = false
  // Whether the next sync asks the peer's heads (at start, on the timer, after a failure, on a kick without hint).
  let full = true
  // Heads announced since the last sync began, pulled up to by the next; bounded, as each announcement is.
  const hints = new Map<string, number>()
  /** Kicks waiting for the next sync to begin and end. */
  const kicks: Array<() => void> = []

  const publish = (next: Partial<SyncStatus>): void => {
    current = { ...current, ...next }
    input.onStatus?.(current)
  }

  const pendingCount = async (): Promise<number> => await pendingFor(input.meta, input.replica, input.thread, input.peer)
  // Records the peer sent it holds, even if the push after them fails: they are never counted as waiting to be sent to it.
  const onServed = async (served: readonly LogPosition[]): Promise<void> => { await acknowledgeServed(input.meta, input.thread, input.peer, served) }

  /**
   * A sync from the positions the peer acknowledged, with no heads round trip:
   * pushes what it lacks, pulls up to `hinted`. False when nothing was
   * acknowledged yet, it did not go through, or a hinted head was not reached
   * though the peer sent records of its log (they wait on records of other
   * logs): a full sync follows. A hinted head the peer holds nothing beyond
   * ours of (a false hint, or one for another peer) ends it all the same.
   */
  async function quick (hinted: LogPosition[]): Promise<boolean> {
    const remote = await acknowledged(input.meta, input.thread, input.peer)
    if (remote === undefined) return false
    let held: readonly LogPosition[]
    // Its state stays as it was until it ends (it takes a round trip or two): each report makes the album's whole state again
    // for its tabs, in the sync's way, and a report made meanwhile (of the records it pulls) must not show a sync its end never reports.
    try {
      const result = await syncThread({ thread: input.thread, replica: input.replica, transport: input.transport, signal: AbortSignal.timeout(120_000), known: { remote, hints: hinted }, onServed })
      if (!result.complete) return false
      // An announced record the peer sent that could not be placed (it waits on records of other logs): the heads say what else is needed.
      // A head the peer holds nothing beyond ours of was false, or is another peer's to serve: asking all the heads would find none of it,
      // so an announcer naming heads nobody holds costs each member one pull, not one pull and a full sync.
      if (hinted.length > 0) {
        const local = new Map((await input.replica.heads(input.thread)).map((h) => [h.log, h.seq]))
        const peerHolds = new Map(result.peerHeads.map((h) => [h.log, h.seq]))
        if (hinted.some((h) => (local.get(h.log) ?? 0) < h.seq && (peerHolds.get(h.log) ?? 0) > (local.get(h.log) ?? 0))) return false
      }
      await acknowledge(input.meta, input.thread, input.peer, result.peerHeads)
      held = result.peerHeads
    } catch (error) {
      // The peer may hold less than it acknowledged (it lost data, it was replaced) or refuse us: the full sync finds out.
      log('a sync from acknowledged positions failed (%s), asking the heads', (error as Error).name)
      return false
    }
    publish({ state: 'synced', pending: await pendingCount(), held, lastError: undefined, progress: undefined })
    return true
  }

  /** One sync; a failure is published, then thrown so the retry waits and tries again. */
  async function once (): Promise<void> {
    const kicked = kicks.splice(0)
    try {
      await onceFor()
    } finally {
      for (const done of kicked) done()
    }
  }

  async function onceFor (): Promise<void> {
    const whole = full
    full = false
    const hinted = [...hints].map(([log, seq]) => ({ log, seq }))
    hints.clear()
    if (!whole && await quick(hinted)) return
    publish({ state: 'syncing', pending: await pendingCount() })
    try {
      const result = await syncThread({
        thread: input.thread,
        replica: input.replica,
        transport: input.transport,
        signal: AbortSignal.timeout(120_000),
        onProgress: (progress) => { publish({ progress }) },
        onServed
      })
      // Acknowledge what the peer now holds (not our heads now: a write during the sync was not sent).
      if (result.refused.length === 0) await acknowledge(input.meta, input.thread, input.peer, result.peerHeads)
      publish({ state: 'synced', pending: await pendingCount(), held: result.peerHeads, lastError: undefined, progress: undefined })
    } catch (error) {
      // A peer's refusal is reported by the name the peer gave it (NotAMemberError, StorageQuotaError, …), so the status says what was refused.
      const name = error instanceof SyncRemoteError ? error.remoteName : (error as Error).name
      publish({ state: 'offline', pending: await pendingCount(), lastError: { name, message: (error as Error).message }, progress: undefined })
      full = true
      throw error
    }
  }

  const live = (): boolean => lifecycle.state === 'starting' || lifecycle.state === 'running'

  /**
   * Runs a sync after `delay`; a `periodic` one (the timer's safety net) asks the peer's heads.
   * A sync already due sooner is kept: a kick that came while a sync ran is not put off to the
   * next interval when that sync ends (its hints would wait there, and a member miss records).
   */
  function schedule (delay: number, periodic = false): void {
    if (!live()) return
    const due = Date.now() + delay
    if (timer !== undefined && timerDue <= due) return
    if (timer !== undefined) clearTimeout(timer)
    timerDue = due
    timer = setTimeout(() => {
      timer = undefined
      if (periodic) full = true
      run()
    }, delay)
  }

  function run (): void {
    if (!live()) return
    if (running !== undefined) { again = true; wake?.abort(); return }
    wake = new AbortController()
    running = retryWithBackoff(once, { what: `sync ${input.thread} with ${input.peer}`, log, minDelayMs: 500, maxDelayMs: maxBackoff, signal: wake.signal })
      .then(() => interval, (error: unknown) => {
        // Woken (or stopped) while waiting to try again; or a failure retrying cannot mend.
        if (wake?.signal.aborted !== true) log.failure(`sync ${input.thread} with ${input.peer} gave up retrying`, error)
        return maxBackoff
      })
      .then((next) => {
        running = undefined
        if (again) { again = false; run(); return }
        schedule(next, true)
      })
  }

  const lifecycle = createLifecycle({
    what: `The sync of ${input.thread} with ${input.peer}`,
    start: () => { schedule(0) },
    stop: async () => {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      wake?.abort()
      await running
      for (const done of kicks.splice(0)) done()
    }
  })
  return {
    get state () { return lifecycle.state },
    start: async () => { await lifecycle.start() },
    stop: async () => { await lifecycle.stop() },
    kick: async (hint) => {
      if (!live()) return
      const ended = new Promise<void>((resolve) => { kicks.push(resolve) })
      if (hint === undefined) full = true
      for (const h of hint?.heads ?? []) hints.set(h.log, Math.max(h.seq, hints.get(h.log) ?? 0))
      // More announced logs than one pull names: the heads say it all.
      if (hints.size > MAX_LOGS_PER_REQUEST) { hints.clear(); full = true }
      schedule(0)
      await ended
    },
    status: () => current
  }
}
