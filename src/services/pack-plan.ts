/**
 * Which of an album's thumbnail packs a publication can reuse and which
 * thumbnails it packs anew (album-packs.ts), from the packs this device built
 * before and the thumbnails the album shows now, in a stable order (the order
 * photos were added). Pure: no reads, no writes.
 *
 * - A pack built before is reused, byte for byte, while every thumbnail in it
 *   is still one the album shows: a removed photo's thumbnail is never packed
 *   again, and a pack that held one is made again from the others.
 * - The last pack built before is reopened when there is something new to
 *   pack and it has room for about one more of its thumbnails, so adding
 *   photos one publication at a time does not leave a trail of small packs,
 *   nor read a full pack's thumbnails again for nothing.
 * - Everything else (new photos, the rest of a pack that lost one) is packed
 *   anew in the stable order, after the reused packs.
 * So adding photos changes only the last pack and adds new ones; the others,
 * which a follower already holds, stay as they are.
 */

/** A pack this device built: its CID, the roots (CID texts) of the thumbnails it holds, in order, and its size. */
export interface BuiltPack {
  readonly cid: string
  readonly members: readonly string[]
  readonly bytes: number
}

/** What a publication does with its packs. */
export interface PackPlan {
  /** Packs built before and reused as they are, in the order they were built. */
  readonly kept: readonly BuiltPack[]
  /** Thumbnails to pack anew, in the stable order. */
  readonly fresh: readonly string[]
}

/**
 * Plans a publication's packs from `built` (the packs of the last one, in
 * order), `shown` (the roots of the thumbnails the album shows now, in the
 * stable order) and `left` (roots the last one could not pack: not held whole
 * here, or too large for a pack; they do not reopen the last pack alone);
 * a pack block holds `maxBytes` at most.
 */
export function planPacks (input: { readonly built: readonly BuiltPack[], readonly shown: readonly string[], readonly left?: ReadonlySet<string>, readonly maxBytes: number }): PackPlan {
  const { built, shown, left = new Set<string>(), maxBytes } = input
  const now = new Set(shown)
  const whole = built.filter((pack) => pack.members.every((root) => now.has(root)))
  const covered = new Set(whole.flatMap((pack) => pack.members))
  const uncovered = shown.filter((root) => !covered.has(root))
  const last = built.at(-1)
  // Reopened only when something new would join it: with nothing to add it stays as the follower holds it.
  const roomy = last !== undefined && last.bytes + last.bytes / Math.max(1, last.members.length) <= maxBytes
  const reopen = roomy && whole.at(-1) === last && uncovered.some((root) => !left.has(root))
  const kept = reopen ? whole.slice(0, -1) : whole
  if (!reopen) return { kept, fresh: uncovered }
  const again = new Set(last!.members)
  return { kept, fresh: shown.filter((root) => again.has(root) || !covered.has(root)) }
}
