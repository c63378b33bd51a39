/**
 * What a tab is shown of an album: its photos, newest first, each with its
 * author as the signed log says; its members; where this device stands; and
 * how its sync with the follower and with directly connected browsers stands,
 * in words where something is wrong. Pure functions over the album's thread
 * and schedulers, so the shape is decided in one place.
 */
import type { MemberInfo } from '../core/acl/types.ts'
import type { ThreadDatabase } from '../core/db/index.ts'
import type { SyncScheduler, SyncStatus } from '../core/sync/scheduler.ts'
import { IMAGE_TYPES, isImage, type AlbumSnapshot, type PhotoView, type SyncView } from '../protocol/album-messages.ts'
import { isPhotoMedia, type PhotoMedia } from '../protocol/media-messages.ts'
import type { AccessView, MemberView } from '../protocol/member-messages.ts'

/** The collection photos live in. */
export const PHOTOS = 'photos'

/** The collection the owner writes the album's deletion to, so members can say why they lost access. */
export const ALBUM_STATE = 'album'

// The image itself is bytes, which JSON Schema cannot describe; its format is checked by `isImage` and its bytes when served.
/** The schema every photo document must meet, from this device or any other. */
export const photoSchema = {
  type: 'object',
  properties: { title: { type: 'string', minLength: 1, maxLength: 500 }, addedAt: { type: 'number' }, imageType: { enum: [...IMAGE_TYPES] } },
  required: ['title', 'addedAt']
}

/** How a member is named when it gave itself no name: the end of its log ID. */
export const shortName = (log: string): string => log.slice(-6)

/** The album's photos as the tab shows them, newest first, each by the name of the log that added it. */
export function photoViews (thread: ThreadDatabase, members: readonly MemberInfo[]): PhotoView[] {
  const names = new Map(members.map((m) => [m.log, m.name ?? shortName(m.log)]))
  const photos = thread.collection(PHOTOS)
  return photos.find({}, { sort: { addedAt: -1 } }).map((d) => {
    const author = photos.creator(d._id) ?? ''
    return {
      id: d._id,
      title: String(d.title),
      addedAt: Number(d.addedAt),
      author,
      by: names.get(author) ?? shortName(author),
      hasImage: d.thumbnail !== undefined || isImage(d.image, d.imageType),
      ...(isPhotoMedia(d.media) ? { media: cleanMedia(d.media) } : {})
    }
  })
}

/** A photo's media fields as a writer put them, with nothing else a writer may have added. */
export const cleanMedia = (m: PhotoMedia): PhotoMedia => ({ type: m.type, size: m.size, width: m.width, height: m.height, ...(m.takenAt === undefined ? {} : { takenAt: m.takenAt }) })

/** The album's members as the tab shows them: the owner first, then by name. */
export function memberViews (members: readonly MemberInfo[], self: string): MemberView[] {
  return members
    .map((m): MemberView => ({ log: m.log, role: m.role, owner: m.owner, you: m.log === self, ...m.name === undefined ? {} : { name: m.name } }))
    .sort((a, b) => Number(b.owner) - Number(a.owner) || (a.name ?? a.log).localeCompare(b.name ?? b.log))
}

/** Whether the album's owner deleted it for everyone (a deletion written by the owner's log). */
export function deletedByOwner (thread: ThreadDatabase, members: readonly MemberInfo[]): boolean {
  const owner = members.find((m) => m.owner)?.log
  const state = thread.collection(ALBUM_STATE)
  return owner !== undefined && state.find({ deleted: true }).some((d) => state.creator(d._id) === owner)
}

/**
 * Where this device stands: a member while its role is above none; joining
 * until the invite it joined through is here; once its role is none, deleted,
 * left or removed, in that order of evidence. A follower that says this log is
 * not a member knows of a removal not received here yet.
 */
export function accessView (input: { readonly members: readonly MemberInfo[], readonly self: string, readonly left: boolean, readonly deleted: boolean, readonly refusedByFollower: boolean }): AccessView {
  const me = input.members.find((m) => m.log === input.self)
  if (me === undefined) return { role: 'none', state: 'joining' }
  if (me.role !== 'none' && !input.refusedByFollower) return { role: me.role, state: 'member' }
  return { role: 'none', state: input.deleted ? 'deleted' : input.left ? 'left' : 'removed' }
}

/** An album as reported to tabs: photos by their authors' names, members, this device's standing and its sync. */
export async function albumView (input: { readonly thread: ThreadDatabase, readonly id: string, readonly revision: number, readonly name: string, readonly left: boolean, readonly refusedByFollower: boolean, readonly sync: SyncView }): Promise<AlbumSnapshot> {
  const { thread, sync } = input
  const members = await thread.members.list()
  const access = accessView({
    members,
    self: thread.logId,
    left: input.left,
    deleted: deletedByOwner(thread, members),
    refusedByFollower: input.refusedByFollower
  })
  return { thread: input.id, revision: input.revision, name: input.name, photos: photoViews(thread, members), members: memberViews(members, thread.logId), access, sync }
}

/** How direct connections stand for an album: how many, and since when the newest is open. */
export interface DirectView {
  readonly direct: number
  readonly directSince?: number
}

/**
 * What of one follower sync's status {@link syncView} and {@link accessView}
 * show, as a key: a status with the same key as the last one changes nothing a
 * tab sees, so it needs no report (a quick sync that ends as the one before it
 * did, synced with nothing waiting, is most syncs).
 */
export function shownStatusKey (status: SyncStatus): string {
  const { state, pending, progress, lastError } = status
  return JSON.stringify([state, pending, progress?.phase, progress?.done, progress?.total, lastError?.name, lastError?.message])
}

/**
 * The album's sync state over its followers' schedulers (by address), with
 * the direct peers'. Synced once any follower holds everything (what waits is
 * what no follower acknowledged yet, at most the fewest any follower lacks);
 * offline only when none is in reach, with the words of a follower's failure;
 * and how each follower stands, with what waits for it.
 */
export function syncView (schedulers: ReadonlyArray<readonly [string, SyncScheduler]>, peers: DirectView): SyncView {
  if (schedulers.length === 0) return { state: 'no-follower', pending: 0, ...peers, message: 'No follower found yet: photos stay on this device until one is reachable.' }
  const statuses = schedulers.map(([, s]) => s.status())
  const followerList = schedulers.map(([address], i) => ({ address, state: statuses[i]!.state, pending: statuses[i]!.pending }))
  const synced = statuses.filter((s) => s.state === 'synced').length
  const state = synced > 0 ? 'synced' : statuses.some((s) => s.state === 'syncing') ? 'syncing' : statuses.some((s) => s.state === 'offline') ? 'offline' : 'idle'
  const pending = Math.min(...statuses.map((s) => s.pending))
  const running = statuses.find((s) => s.progress !== undefined)?.progress
  const progress = running === undefined ? {} : { progress: { phase: running.phase, done: running.done, total: running.total } }
  const failed = statuses.find((s) => s.state === 'offline' && s.lastError !== undefined)?.lastError
  const message = failed === undefined ? {} : { message: failed.message }
  return { state, pending, ...peers, ...progress, ...message, followers: { synced, total: statuses.length }, followerList }
}
