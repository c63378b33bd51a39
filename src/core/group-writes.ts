/**
 * Group commit for a store that writes many small things: items given while
 * a group is being written wait, and go together in the next group, so a
 * burst of N writes costs a transaction or two instead of N.
 *
 * Guarantees:
 * - one group is written at a time; items given in one turn (and all those
 *   given while a group is written) share the next;
 * - each item's promise settles once the group holding it was written, with
 *   that group's error if it failed (the next group is still tried);
 * - items reach `write` in the order they were given.
 */

/** Gives items to be written in groups by `write`; the returned function resolves once its item's group was written. */
export function groupWrites<T> (write: (items: T[]) => Promise<void>): (item: T) => Promise<void> {
  let queued: Array<{ item: T, settle: (error?: unknown) => void }> = []
  let writing = false

  const flush = (): void => {
    const group = queued
    queued = []
    writing = true
    Promise.resolve().then(async () => { await write(group.map((q) => q.item)) }).then(
      () => { for (const q of group) q.settle() },
      (error: unknown) => { for (const q of group) q.settle(error) }
    ).finally(() => {
      writing = false
      if (queued.length > 0) flush()
    })
  }

  return async (item) => {
    await new Promise<void>((resolve, reject) => {
      // The first item of an idle store waits for the rest of its turn; later ones wait for the group being written.
      if (queued.length === 0 && !writing) queueMicrotask(flush)
      queued.push({ item, settle: (error) => { if (error === undefined) resolve(); else reject(error) } })
    })
  }
}
