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

/**
 * The album's sync state over its followers' schedulers, with the direct
 * peers'. Synced once any follower holds everything (what waits is what no
 * follower acknowledged yet, at most the fewest any follower lacks); offline
 * only when none is in reach, with the words of a follower's failure.
 */
export function syncView (schedulers: readonly SyncScheduler[], peers: DirectView): SyncView {
  if (schedulers.length === 0) return { state: 'no-follower', pending: 0, ...peers, message: 'No follower found yet: photos stay on this device until one is reachable.' }
  const statuses = schedulers.map((s) => s.status())
  const synced = statuses.filter((s) => s.state === 'synced').length
  const state = synced > 0 ? 'synced' : statuses.some((s) => s.state === 'syncing') ? 'syncing' : statuses.some((s) => s.state === 'offline') ? 'offline' : 'idle'
  const pending = Math.min(...statuses.map((s) => s.pending))
  const running = statuses.find((s) => s.progress !== undefined)?.progress
  const progress = running === undefined ? {} : { progress: { phase: running.phase, done: running.done, total: running.total } }
  const failed = statuses.find((s) => s.state === 'offline' && s.lastError !== undefined)?.lastError
  const message = failed === undefined ? {} : { message: failed.message }
  return { state, pending, ...peers, ...progress, ...message, followers: { synced, total: statuses.length } }
}
