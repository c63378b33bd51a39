/**
 * Tells whoever follows an album that it changed, with the album as it now is.
 *
 * Guarantees: every change made while an album has followers is followed by a
 * report made after it; changes that arrive while a report is being made are
 * coalesced into one more report, so a burst of sync progress costs a report or
 * two, not one each; and rounds of reports start at most one every
 * {@link REPORT_EVERY_MS} (the first after a quiet spell at once, the last of a
 * burst always), so adding hundreds of photos costs a report per tenth of a
 * second, not one per group of photos written. Reports carry a revision that
 * grows, so a follower can keep the newest of reports that cross on the way.
 * A report that cannot be made (storage failed) reaches the followers as the
 * error. After `close`, nothing is reported.
 */
import type { AlbumSnapshot } from '../protocol/album-messages.ts'

/** The least time between the starts of two rounds of reports (ms). */
export const REPORT_EVERY_MS = 100

/** One report on an album: as it now is, or why that could not be read. */
export type AlbumReport = { readonly snapshot: AlbumSnapshot } | { readonly error: unknown }

/** Follows albums' changes. */
export interface AlbumChanges {
  /** Something in `thread` changed; with no thread, something in every album (direct peers came or went). */
  changed(thread?: string): void
  /** Calls `listener` with each report on `thread`; returns a function that stops that. */
  follow(thread: string, listener: (report: AlbumReport) => void): () => void
  /** Stops reporting. */
  close(): void
}

/** Reports changes with `snapshot`, which reads an album as it now is. */
export function createAlbumChanges (snapshot: (thread: string) => Promise<AlbumSnapshot>): AlbumChanges {
  const followers = new Map<string, Set<(report: AlbumReport) => void>>()
  const dirty = new Set<string>()
  let flushing = false
  let closed = false
  /** When the last round of reports started (performance.now()). */
  let lastRound = -Infinity

  async function flush (): Promise<void> {
    try {
      // Let the changes of one turn (a write and the status it starts) gather into one report.
      await Promise.resolve()
      while (dirty.size > 0 && !closed) {
        // Changes that come while waiting join this round.
        const wait = lastRound + REPORT_EVERY_MS - performance.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        if (closed) return
        lastRound = performance.now()
        const threads = [...dirty]
        dirty.clear()
        for (const thread of threads) {
          const report: AlbumReport = await snapshot(thread).then((s) => ({ snapshot: s }), (error: unknown) => ({ error }))
          if (closed) return
          for (const listener of [...followers.get(thread) ?? []]) listener(report)
        }
      }
    } finally {
      flushing = false
    }
  }

  return {
    changed (thread) {
      if (closed) return
      for (const t of thread === undefined ? followers.keys() : [thread]) if (followers.has(t)) dirty.add(t)
      if (flushing || dirty.size === 0) return
      flushing = true
      void flush()
    },
    follow (thread, listener) {
      let set = followers.get(thread)
      if (set === undefined) followers.set(thread, set = new Set())
      set.add(listener)
      return () => {
        set.delete(listener)
        if (set.size === 0 && followers.get(thread) === set) followers.delete(thread)
      }
    },
    close () {
      closed = true
      followers.clear()
      dirty.clear()
    }
  }
}
