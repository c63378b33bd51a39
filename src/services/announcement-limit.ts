/**
 * A per-sender limit on the full syncs announcements start. A member on an
 * album's topic can say "sync now" without heads as often as it likes, and each
 * such word costs every other member a full sync with its followers; so each
 * sender's head-less announcements start at most one sync per
 * {@link ANNOUNCEMENT_INTERVAL_MS} (announcements naming heads cost one pull
 * each, bounded by the peer, and are not held back: a writer's quick edits
 * each reach the others at once). The first one starts at once (a member's
 * join or a large push is followed without delay); those that come sooner
 * after it are folded into one that starts when the interval is over, so the
 * last word of an honest burst is still acted on.
 *
 * Bounded: at most {@link MAX_SENDERS} senders are remembered (the least
 * recently heard is forgotten first, its waiting sync dropped).
 */

/** The shortest time between two syncs one sender's announcements start. */
export const ANNOUNCEMENT_INTERVAL_MS = 2000
/** Senders remembered at once. */
export const MAX_SENDERS = 1024

/** Limits the syncs started on each sender's word. */
export interface AnnouncementLimit {
  /** Runs `start` now, or once `sender`'s interval is over (replacing what waited for it then). */
  admit(sender: string, start: () => void): void
  /** Drops every waiting start. */
  close(): void
}

interface Sender {
  /** When its last start ran. */
  last: number
  /** The start waiting for its interval to end, and the timer that runs it. */
  waiting?: { start: () => void, timer: ReturnType<typeof setTimeout> }
}

/** A limit of one start per sender per `intervalMs`; `now` is the clock (tests pass their own). */
export function createAnnouncementLimit ({ intervalMs = ANNOUNCEMENT_INTERVAL_MS, now = Date.now }: { intervalMs?: number, now?: () => number } = {}): AnnouncementLimit {
  const senders = new Map<string, Sender>()
  const forget = (sender: string): void => {
    const known = senders.get(sender)
    if (known?.waiting !== undefined) clearTimeout(known.waiting.timer)
    senders.delete(sender)
  }
  return {
    admit (sender, start) {
      const known = senders.get(sender)
      const at = now()
      if (known === undefined || at - known.last >= intervalMs) {
        // Heard most recently: it moves to the end of the eviction order.
        forget(sender)
        senders.set(sender, { last: at })
        if (senders.size > MAX_SENDERS) forget(senders.keys().next().value!)
        start()
        return
      }
      if (known.waiting !== undefined) {
        known.waiting.start = start
        return
      }
      const timer = setTimeout(() => {
        const waiting = known.waiting
        known.waiting = undefined
        known.last = now()
        waiting?.start()
      }, known.last + intervalMs - at)
      known.waiting = { start, timer }
    },
    close () {
      for (const sender of [...senders.keys()]) forget(sender)
    }
  }
}
