/**
 * What a tab is shown of an album: its photos, newest first, and how its sync
 * with the follower and with directly connected browsers stands, in words
 * where something is wrong. Pure functions over the album's thread and
 * schedulers, so the shape is decided in one place.
 */
import type { ThreadDatabase } from '../core/db/index.ts'
import type { SyncScheduler } from '../core/sync/scheduler.ts'
import { IMAGE_TYPES, isImage, type PhotoView, type SyncView } from '../protocol/album-messages.ts'

/** The collection photos live in. */
export const PHOTOS = 'photos'

// The image itself is bytes, which JSON Schema cannot describe; its format is checked by `isImage` and its bytes when served.
/** The schema every photo document must meet, from this device or any other. */
export const photoSchema = {
  type: 'object',
  properties: { title: { type: 'string', minLength: 1, maxLength: 500 }, addedAt: { type: 'number' }, by: { type: 'string' }, imageType: { enum: [...IMAGE_TYPES] } },
  required: ['title', 'addedAt']
}

/** The album's photos as the tab shows them, newest first. */
export function photoViews (thread: ThreadDatabase): PhotoView[] {
  return thread.collection(PHOTOS).find({}, { sort: { addedAt: -1 } }).map((d) => ({
    id: d._id,
    title: String(d.title),
    addedAt: Number(d.addedAt),
    by: String(d.by ?? ''),
    hasImage: isImage(d.image, d.imageType)
  }))
}

/** How direct connections stand for an album: how many, and since when the newest is open. */
export interface DirectView {
  readonly direct: number
  readonly directSince?: number
}

/** The album's sync state: the follower scheduler's, if there is a follower, with the direct peers'. */
export function syncView (scheduler: SyncScheduler | undefined, peers: DirectView): SyncView {
  if (scheduler === undefined) return { state: 'no-follower', pending: 0, ...peers, message: 'No follower found: photos stay on this device until one is reachable.' }
  const status = scheduler.status()
  const progress = status.progress === undefined ? {} : { progress: { phase: status.progress.phase, done: status.progress.done, total: status.progress.total } }
  const message = status.lastError === undefined ? {} : { message: status.lastError.message }
  return { state: status.state, pending: status.pending, ...peers, ...progress, ...message }
}
