/**
 * Tab ↔ worker messages of the photo album (added to the hello exchange in
 * messages.ts). Every request has exactly one reply type. No message has a
 * field named `id` or `v`: those belong to the envelope. A tab follows one
 * album at a time with `album.subscribe`: the reply carries the album as it is,
 * and the node then pushes an `album.changed` event whenever it changes.
 * Reports carry the album's members and where this device stands in it
 * (member-messages.ts).
 */
import type { HistoryEntry } from '../core/db/history.ts'
import type { PhotoMedia } from './media-messages.ts'
import { isGrantableRole, isMemberView, MEMBER_ROLES, type AccessView, type GrantableRole, type MemberView } from './member-messages.ts'

/** A photo as the album shows it; its images, if it has any, are fetched on their own with `photo.media` (or `photo.image`). */
export interface PhotoView {
  readonly id: string
  readonly title: string
  readonly addedAt: number
  /** Who added it: the name its author's log gave itself, as the member list has it (a short log ID where none). */
  readonly by: string
  /** The log that added it, as its signed record says (not a field the writer filled in). */
  readonly author: string
  readonly hasImage: boolean
  /** What its record says of its original (type, size, dimensions, when taken), for photos added with one. */
  readonly media?: PhotoMedia
}

/** The largest image a photo may carry: it travels inside one record, whose body is at most 1 MiB. */
export const MAX_IMAGE_BYTES = 768 * 1024

/** Image formats a photo may carry. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const

/** How the album's sync with its follower stands. */
export interface SyncView {
  readonly state: 'idle' | 'syncing' | 'synced' | 'offline' | 'no-follower'
  /** Photos and edits written here that the follower has not acknowledged yet. */
  readonly pending: number
  /** People (other browsers) this album is connected to directly, over WebRTC. */
  readonly direct: number
  /** While a sync with the follower runs: records received (pull) or sent (push) so far, of how many. */
  readonly progress?: { readonly phase: 'pull' | 'push', readonly done: number, readonly total: number }
  /** When the newest direct connection opened (ms since the epoch), while one is open. */
  readonly directSince?: number
  readonly message?: string
  /** Of the followers this album syncs with, how many hold everything now. */
  readonly followers?: { readonly synced: number, readonly total: number }
  /** Each follower this album syncs with (its multiaddr), how its sync stands and what waits for it. */
  readonly followerList?: readonly FollowerSyncView[]
}

/** How an album's sync with one follower stands. */
export interface FollowerSyncView {
  readonly address: string
  readonly state: 'idle' | 'syncing' | 'synced' | 'offline'
  /** Records written here that this follower has not acknowledged yet. */
  readonly pending: number
}

/**
 * An album as the node reports it. `revision` grows with every report a node
 * makes, so a tab keeps the newest of reports that cross on the way.
 */
export interface AlbumSnapshot {
  readonly thread: string
  readonly revision: number
  readonly name: string
  readonly photos: readonly PhotoView[]
  readonly sync: SyncView
  /** Everyone ever admitted to the album, with their current role (`none` once removed or gone). */
  readonly members: readonly MemberView[]
  /** This device's role and standing in the album. */
  readonly access: AccessView
  /** Whether this device keeps every original of the album (`album.keepOriginals`). */
  readonly keepOriginals?: boolean
}

/** An album in the list: its name and, where the node could open it, how many photos it holds and which one is its cover (the newest with an image). */
export interface AlbumSummary {
  readonly id: string
  readonly name: string
  readonly photos?: number
  readonly cover?: string
}

/** One record of an album's history as the node reads it from the signed logs (see core/db/history.ts). */
export type HistoryEntryView = HistoryEntry

/** Album requests (without the v/id envelope). */
export type AlbumRequest =
  | { readonly type: 'album.create', readonly name: string }
  | { readonly type: 'album.list' }
  | { readonly type: 'album.join', readonly link: string }
  /** An invite link granting `role`; it expires at `expires` (ms since the epoch) if given, and works once if `uses` is 1. */
  | { readonly type: 'album.invite', readonly thread: string, readonly base: string, readonly role: GrantableRole, readonly expires?: number, readonly uses?: 1 }
  | { readonly type: 'photo.add', readonly thread: string, readonly title: string, readonly image?: Uint8Array, readonly imageType?: string }
  | { readonly type: 'photo.image', readonly thread: string, readonly photo: string }
  | { readonly type: 'photo.rename', readonly thread: string, readonly photo: string, readonly title: string }
  | { readonly type: 'photo.remove', readonly thread: string, readonly photo: string }
  | { readonly type: 'album.subscribe', readonly thread: string }
  /** The album's recent history from its logs: activity in words and the picture of the logs are drawn from it. */
  | { readonly type: 'album.history', readonly thread: string }

/** Album replies (without the v/id envelope). */
export type AlbumReply =
  | { readonly type: 'album.created', readonly thread: string }
  | { readonly type: 'album.listed', readonly albums: readonly AlbumSummary[] }
  | { readonly type: 'album.joined', readonly thread: string }
  | { readonly type: 'album.invited', readonly link: string, readonly role: GrantableRole, readonly expires: number | null, readonly uses: 1 | null }
  | { readonly type: 'photo.added', readonly photo: string }
  | { readonly type: 'photo.imageData', readonly image: Uint8Array, readonly imageType: string }
  | { readonly type: 'photo.renamed', readonly photo: string }
  | { readonly type: 'photo.removed', readonly photo: string }
  | ({ readonly type: 'album.subscribed' } & AlbumSnapshot)
  | { readonly type: 'album.historyRead', readonly thread: string, readonly entries: readonly HistoryEntryView[] }

/** Album events, pushed by the node without being asked (without the v envelope; events carry no id). */
export type AlbumEvent =
  | ({ readonly type: 'album.changed' } & AlbumSnapshot)
  /** The node could not read the album to report a change; the error in words (name and message, as in an error reply). */
  | { readonly type: 'album.failed', readonly thread: string, readonly error: { readonly name: string, readonly message: string } }

type Fields = Readonly<Record<string, unknown>>
const text = (v: unknown, max = 2048): boolean => typeof v === 'string' && v.length > 0 && v.length <= max

/** Whether `image` and `type` make an image a photo may carry. */
export function isImage (image: unknown, type: unknown): boolean {
  return image instanceof Uint8Array && image.byteLength > 0 && image.byteLength <= MAX_IMAGE_BYTES && (IMAGE_TYPES as readonly unknown[]).includes(type)
}

/** Shape checks of album requests, by type. */
export const albumRequestValidators = {
  'album.create': (m: Fields) => text(m.name, 200),
  'album.list': () => true,
  'album.join': (m: Fields) => text(m.link, 16_384),
  'album.invite': (m: Fields) => text(m.thread, 256) && text(m.base, 2048) && isGrantableRole(m.role) &&
    (m.expires === undefined || Number.isSafeInteger(m.expires)) && (m.uses === undefined || m.uses === 1),
  'photo.add': (m: Fields) => text(m.thread, 256) && text(m.title, 500) && (m.image === undefined || isImage(m.image, m.imageType)),
  'photo.image': (m: Fields) => text(m.thread, 256) && text(m.photo, 256),
  'photo.rename': (m: Fields) => text(m.thread, 256) && text(m.photo, 256) && text(m.title, 500),
  'photo.remove': (m: Fields) => text(m.thread, 256) && text(m.photo, 256),
  'album.subscribe': (m: Fields) => text(m.thread, 256),
  'album.history': (m: Fields) => text(m.thread, 256)
} as const

const isAccess = (a: unknown): boolean => typeof a === 'object' && a !== null && (MEMBER_ROLES as readonly unknown[]).includes((a as Fields).role) && typeof (a as Fields).state === 'string'
const isSnapshot = (m: Fields): boolean => text(m.thread, 256) && Number.isSafeInteger(m.revision) && typeof m.name === 'string' && Array.isArray(m.photos) &&
  typeof m.sync === 'object' && m.sync !== null && Array.isArray(m.members) && m.members.every(isMemberView) && isAccess(m.access)

/** Shape checks of album replies, by type. */
export const albumReplyValidators = {
  'album.created': (m: Fields) => text(m.thread, 256),
  'album.listed': (m: Fields) => Array.isArray(m.albums),
  'album.joined': (m: Fields) => text(m.thread, 256),
  'album.invited': (m: Fields) => text(m.link, 16_384) && isGrantableRole(m.role) && (m.expires === null || Number.isSafeInteger(m.expires)) && (m.uses === null || m.uses === 1),
  'photo.added': (m: Fields) => text(m.photo, 256),
  'photo.imageData': (m: Fields) => isImage(m.image, m.imageType),
  'photo.renamed': (m: Fields) => text(m.photo, 256),
  'photo.removed': (m: Fields) => text(m.photo, 256),
  'album.subscribed': isSnapshot,
  'album.historyRead': (m: Fields) => text(m.thread, 256) && Array.isArray(m.entries)
} as const

/** Shape checks of album events, by type. */
export const albumEventValidators = {
  'album.changed': isSnapshot,
  'album.failed': (m: Fields) => text(m.thread, 256) && typeof m.error === 'object' && m.error !== null && typeof (m.error as Fields).name === 'string' && typeof (m.error as Fields).message === 'string'
} as const

/** The reply type of each album request. */
export const ALBUM_REPLY_TYPE_OF = {
  'album.create': 'album.created',
  'album.list': 'album.listed',
  'album.join': 'album.joined',
  'album.invite': 'album.invited',
  'photo.add': 'photo.added',
  'photo.image': 'photo.imageData',
  'photo.rename': 'photo.renamed',
  'photo.remove': 'photo.removed',
  'album.subscribe': 'album.subscribed',
  'album.history': 'album.historyRead'
} as const

/**
 * Whether each album request may be sent again to a node that took over from
 * one that went away with the request unanswered: true where running it twice
 * gives the same outcome as once (reads, subscribing, renaming to a title).
 * Adding, creating, joining and removing say instead that the outcome is unknown.
 */
export const ALBUM_SAFE_TO_REPEAT = {
  'album.create': false,
  'album.list': true,
  'album.join': false,
  'album.invite': true,
  'photo.add': false,
  'photo.image': true,
  'photo.rename': true,
  'photo.remove': false,
  'album.subscribe': true,
  'album.history': true
} as const
