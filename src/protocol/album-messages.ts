/**
 * Tab ↔ worker messages of the photo album (protocol v1, added to the hello
 * exchange in messages.ts). Every request has exactly one reply type. No
 * message has a field named `id` or `v`: those belong to the envelope.
 */

/** A photo as the album shows it; its image, if it has one, is fetched on its own with `photo.image`. */
export interface PhotoView {
  readonly id: string
  readonly title: string
  readonly addedAt: number
  readonly by: string
  readonly hasImage: boolean
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
}

/** Album requests (without the v/id envelope). */
export type AlbumRequest =
  | { readonly type: 'album.create', readonly name: string }
  | { readonly type: 'album.list' }
  | { readonly type: 'album.join', readonly link: string }
  | { readonly type: 'album.invite', readonly thread: string, readonly base: string }
  | { readonly type: 'photo.add', readonly thread: string, readonly title: string, readonly image?: Uint8Array, readonly imageType?: string }
  | { readonly type: 'photo.image', readonly thread: string, readonly photo: string }
  | { readonly type: 'photo.rename', readonly thread: string, readonly photo: string, readonly title: string }
  | { readonly type: 'photo.remove', readonly thread: string, readonly photo: string }
  | { readonly type: 'album.watch', readonly thread: string, readonly since: number }

/** Album replies (without the v/id envelope). */
export type AlbumReply =
  | { readonly type: 'album.created', readonly thread: string }
  | { readonly type: 'album.listed', readonly albums: ReadonlyArray<{ readonly id: string, readonly name: string }> }
  | { readonly type: 'album.joined', readonly thread: string }
  | { readonly type: 'album.invited', readonly link: string }
  | { readonly type: 'photo.added', readonly photo: string }
  | { readonly type: 'photo.imageData', readonly image: Uint8Array, readonly imageType: string }
  | { readonly type: 'photo.renamed', readonly photo: string }
  | { readonly type: 'photo.removed', readonly photo: string }
  | { readonly type: 'album.state', readonly version: number, readonly name: string, readonly photos: readonly PhotoView[], readonly sync: SyncView }

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
  'album.invite': (m: Fields) => text(m.thread, 256) && text(m.base, 2048),
  'photo.add': (m: Fields) => text(m.thread, 256) && text(m.title, 500) && (m.image === undefined || isImage(m.image, m.imageType)),
  'photo.image': (m: Fields) => text(m.thread, 256) && text(m.photo, 256),
  'photo.rename': (m: Fields) => text(m.thread, 256) && text(m.photo, 256) && text(m.title, 500),
  'photo.remove': (m: Fields) => text(m.thread, 256) && text(m.photo, 256),
  'album.watch': (m: Fields) => text(m.thread, 256) && Number.isSafeInteger(m.since)
} as const

/** Shape checks of album replies, by type. */
export const albumReplyValidators = {
  'album.created': (m: Fields) => text(m.thread, 256),
  'album.listed': (m: Fields) => Array.isArray(m.albums),
  'album.joined': (m: Fields) => text(m.thread, 256),
  'album.invited': (m: Fields) => text(m.link, 16_384),
  'photo.added': (m: Fields) => text(m.photo, 256),
  'photo.imageData': (m: Fields) => isImage(m.image, m.imageType),
  'photo.renamed': (m: Fields) => text(m.photo, 256),
  'photo.removed': (m: Fields) => text(m.photo, 256),
  'album.state': (m: Fields) => Number.isSafeInteger(m.version) && Array.isArray(m.photos) && typeof m.sync === 'object' && m.sync !== null
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
  'album.watch': 'album.state'
} as const
