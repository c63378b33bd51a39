/**
 * Whether a caption this person set was overtaken by a concurrent edit. Two
 * people renaming one photo at once both write to its log; every device
 * settles on the same winner (the later Lamport clock, then the log), so the
 * loser sees the other caption arrive. A caption set here is watched for a
 * minute: if the album then shows another one, the person is told.
 */

/** A caption set here, and when. */
export interface OwnEdit {
  readonly photo: string
  readonly title: string
  /** The caption before: a report still showing it was taken before the edit, not after a concurrent one. */
  readonly from: string
  readonly at: number
}

/** How long an edit is watched for a concurrent one, in ms: longer than a sync round with the follower. */
export const WATCH_MS = 60_000

/** Of `edits`, those now overtaken (with the caption that won) and those still watched. */
export function concurrentLosses (edits: readonly OwnEdit[], photos: ReadonlyArray<{ readonly id: string, readonly title: string }>, now: number): { lost: Array<OwnEdit & { readonly now: string }>, watching: OwnEdit[] } {
  const titles = new Map(photos.map((p) => [p.id, p.title]))
  const lost: Array<OwnEdit & { readonly now: string }> = []
  const watching: OwnEdit[] = []
  for (const edit of edits) {
    const shown = titles.get(edit.photo)
    if (shown === undefined || now - edit.at > WATCH_MS) continue
    if (shown !== edit.title && shown !== edit.from) lost.push({ ...edit, now: shown })
    else watching.push(edit)
  }
  return { lost, watching }
}
