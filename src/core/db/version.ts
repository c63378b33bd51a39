/**
 * The one total order every replica applies database operations in: the
 * Lamport clock first (it already respects prev and dependency links, since a
 * new event's clock exceeds those of everything it has seen), then the log ID,
 * then the position in the log, then the operation's index in its event.
 */

/** Where an operation sits in the total order. */
export type Version = readonly [clock: number, log: string, seq: number, op: number]

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function compareVersions (a: Version, b: Version): number {
  if (a[0] !== b[0]) return a[0] - b[0]
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1
  if (a[2] !== b[2]) return a[2] - b[2]
  return a[3] - b[3]
}

/** The later of two versions; null counts as before everything. */
export function maxVersion (a: Version | null, b: Version | null): Version | null {
  if (a === null) return b
  if (b === null) return a
  return compareVersions(a, b) >= 0 ? a : b
}
