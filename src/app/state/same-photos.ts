/**
 * Keeps the objects of photos an album report did not change, so the grid's
 * memoized tiles skip them: a report (a sync status, one photo added) then
 * re-renders only what it changed, not every tile on screen.
 */
import type { PhotoView } from '../../protocol/album-messages.ts'
import type { PhotoMedia } from '../../protocol/media-messages.ts'

const sameMedia = (a: PhotoMedia | undefined, b: PhotoMedia | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.type === b.type && a.size === b.size && a.width === b.width && a.height === b.height && a.takenAt === b.takenAt)

/** Whether two views of a photo show the same. */
export const samePhoto = (a: PhotoView, b: PhotoView): boolean =>
  a.id === b.id && a.title === b.title && a.addedAt === b.addedAt && a.by === b.by && a.author === b.author && a.hasImage === b.hasImage && sameMedia(a.media, b.media)

/**
 * `next` with each photo that `previous` shows the same replaced by its
 * object in `previous`; `previous` itself when nothing changed at all.
 */
export function keepUnchanged (previous: readonly PhotoView[], next: readonly PhotoView[]): readonly PhotoView[] {
  const before = new Map(previous.map((p) => [p.id, p]))
  let changed = previous.length !== next.length
  const kept = next.map((photo, i) => {
    const old = before.get(photo.id)
    const same = old !== undefined && samePhoto(old, photo)
    if (!same || previous[i] !== old) changed = true
    return same ? old : photo
  })
  return changed ? kept : previous
}
