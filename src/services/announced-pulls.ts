/**
 * Pulls started by announcements that name heads, at most one in flight per
 * album and sender. An announcement naming heads not held here starts a pull
 * up to them at once when none of its sender's is under way (an honest edit
 * reaches the others without delay); those that come while one is under way
 * are merged, per log the furthest, into the next pull, which starts when it
 * ends and only for heads still not held. A sender whose named heads are still
 * not held once its pull ended (false heads, or heads nobody reachable holds)
 * has its next pull wait {@link ANNOUNCEMENT_INTERVAL_MS} after that end, on a
 * timer of its own (a wait that nothing else can cancel or replace, so a
 * sender's slot is always given back). Heads of logs whose writers push
 * them here themselves (directly connected browsers) are pulled only after
 * {@link PUSHED_WAIT_MS}, and only if still not held: the announcement (the
 * writer's, after its follower took the records, or the follower's) often
 * comes before the writer's own push over the direct connection, which is
 * under way, and a pull of the same records from everyone at once would only
 * compete with it.
 * So a member flooding announcements costs each device at most one pull at a
 * time, one every few seconds while its heads prove false, and one read of
 * the local heads per pull rather than per announcement.
 *
 * Bounded: at most {@link MAX_LOGS_PER_REQUEST} + 1 logs merged per sender
 * (past one pull's logs the scheduler asks all the heads anyway), and at most
 * {@link MAX_PULLING_SENDERS} senders at once (the announcements of others
 * are dropped meanwhile: the periodic sync still finds what they named), and
 * 1,024 senders remembered as having named false heads.
 */
import { MAX_LOGS_PER_REQUEST } from '../core/sync/messages.ts'
import type { LogPosition } from '../core/sync/engine.ts'
import { ANNOUNCEMENT_INTERVAL_MS } from './announcement-limit.ts'

/** How long the pull of announced heads waits when their writers push them here themselves. */
export const PUSHED_WAIT_MS = 1000
/** Senders whose announced pulls may be under way at once. */
export const MAX_PULLING_SENDERS = 256
/** Senders remembered as having named false heads (the least recent forgotten first). */
const MAX_DOUBTED_SENDERS = 1024

/** What {@link createAnnouncedPulls} starts pulls with. */
export interface AnnouncedPullsDeps {
  /** Whether album `album` holds every log at least as far as `heads` name. */
  holdsAll(album: string, heads: readonly LogPosition[]): Promise<boolean>
  /** Syncs `album` with every peer, pulling up to `heads`; resolves once those syncs ended. */
  pull(album: string, heads: readonly LogPosition[]): Promise<void>
  /** Whether the writers of every log `heads` name push their records of `album` here themselves (over direct connections): the pull waits {@link PUSHED_WAIT_MS} first. */
  pushed?(album: string, heads: readonly LogPosition[]): boolean
  /** How long that pull waits ({@link PUSHED_WAIT_MS} unless given). */
  readonly pushedWaitMs?: number
  /** How long a sender whose heads proved false waits before its next pull (tests shorten it). */
  readonly intervalMs?: number
  /** Reports a pull that failed (it never stops the next). */
  onError(album: string, error: unknown): void
}

/** Announced pulls, per album and sender. */
export interface AnnouncedPulls {
  /** `sender` announced `heads` on `album`. */
  announced(album: string, sender: string, heads: readonly LogPosition[]): void
  /** Senders with a pull under way or waiting. */
  pulling(): number
}

interface Pulling {
  /** Heads announced since the pull under way began: log → furthest seq. */
  readonly next: Map<string, number>
  /** When its last pull ended with its heads still not held: its next pull waits the interval from then. */
  doubtedAt: number | undefined
}

const delay = async (ms: number): Promise<void> => { if (ms > 0) await new Promise<void>((resolve) => { setTimeout(resolve, ms) }) }

/** Coalesces announced pulls as the header says. */
export function createAnnouncedPulls (deps: AnnouncedPullsDeps): AnnouncedPulls {
  const senders = new Map<string, Pulling>()
  const interval = deps.intervalMs ?? ANNOUNCEMENT_INTERVAL_MS
  /** Senders whose last pull's heads proved false, oldest first, with when that pull ended. */
  const doubted = new Map<string, number>()

  const merge = (into: Map<string, number>, heads: readonly LogPosition[]): void => {
    for (const { log, seq } of heads) {
      if (!into.has(log) && into.size > MAX_LOGS_PER_REQUEST) continue
      into.set(log, Math.max(seq, into.get(log) ?? 0))
    }
  }

  async function run (album: string, key: string, state: Pulling): Promise<void> {
    while (state.next.size > 0) {
      if (state.doubtedAt !== undefined) await delay(state.doubtedAt + interval - Date.now())
      // Announcements that come meanwhile are merged into this pull.
      else if (deps.pushed?.(album, [...state.next].map(([log, seq]) => ({ log, seq }))) === true) await delay(deps.pushedWaitMs ?? PUSHED_WAIT_MS)
      const heads = [...state.next].map(([log, seq]) => ({ log, seq }))
      state.next.clear()
      // The writer and its followers each announce a write: heads already held start nothing.
      if (await deps.holdsAll(album, heads)) continue
      await deps.pull(album, heads)
      // Its interval starts now: the next pull waits for it.
      state.doubtedAt = await deps.holdsAll(album, heads) ? undefined : Date.now()
      // Remembered past this run: a sender that waits for each pull to end before announcing again is limited all the same.
      doubted.delete(key)
      if (state.doubtedAt !== undefined) doubted.set(key, state.doubtedAt)
      if (doubted.size > MAX_DOUBTED_SENDERS) doubted.delete(doubted.keys().next().value!)
    }
  }

  return {
    announced (album, sender, heads) {
      const key = `${album} ${sender}`
      const under = senders.get(key)
      if (under !== undefined) { merge(under.next, heads); return }
      if (senders.size >= MAX_PULLING_SENDERS) return
      const state: Pulling = { next: new Map(), doubtedAt: doubted.get(key) }
      merge(state.next, heads)
      senders.set(key, state)
      run(album, key, state)
        .catch((error: unknown) => { deps.onError(album, error) })
        .finally(() => { senders.delete(key) })
    },
    pulling: () => senders.size
  }
}
