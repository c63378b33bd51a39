/**
 * Tab ↔ worker messages about photos as media (added to the album messages in
 * messages.ts): adding a photo with its original file, a display-size preview
 * and a thumbnail made in the tab; asking for one of them to show or save; an
 * album's "keep originals on this device" choice; and progress events.
 *
 * Files cross the port as Blobs (a File is one): structured clone hands the
 * worker a reference to the same bytes, not a copy, so a 200 MB original is
 * never held twice, and the worker reads it a piece at a time. The worker
 * answers with a Blob too, which the tab turns into an object URL.
 *
 * A request that reports progress names a `task` of the tab's choosing; the
 * worker pushes `media.progress` events carrying it to the asking tab only.
 */

/** What a photo's media variants are: the original file, byte for byte; a display-size preview; a small thumbnail. */
export const MEDIA_VARIANTS = ['thumbnail', 'preview', 'original'] as const
export type MediaVariant = typeof MEDIA_VARIANTS[number]

/** Formats an original may have: what browsers show (HEIC/HEIF only where the browser decodes it, which the tab checks). */
export const ORIGINAL_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/heic', 'image/heif', 'image/avif'] as const

/** Formats of previews and thumbnails, which the tab encodes. */
export const RENDITION_TYPES = ['image/jpeg', 'image/webp'] as const

/** Limits of what a tab may hand the worker, checked before anything is read. */
export const MEDIA_MESSAGE_LIMITS = {
  /** The largest original accepted. */
  maxOriginalBytes: 1024 * 1024 * 1024,
  maxPreviewBytes: 8 * 1024 * 1024,
  maxThumbnailBytes: 512 * 1024,
  /** The longer side of a preview and of a thumbnail, in pixels. */
  previewSide: 2048,
  thumbnailSide: 400,
  /** Width or height of an original, in pixels. */
  maxSide: 1 << 16
} as const

/** What a photo's record says about its media (nothing about where or who: location stays in the original). */
export interface PhotoMedia {
  /** The original's media type. */
  readonly type: string
  /** The original's size in bytes. */
  readonly size: number
  readonly width: number
  readonly height: number
  /** When it was taken (ms since the epoch), from its EXIF data, where it had any. */
  readonly takenAt?: number
}

/** Media requests (without the v/id envelope). */
export type MediaRequest =
  /** Adds a photo with its original, preview and thumbnail; `task` names its `media.progress` events. */
  | { readonly type: 'photo.addMedia', readonly thread: string, readonly title: string, readonly task: string, readonly original: Blob, readonly preview: Blob, readonly thumbnail: Blob, readonly media: PhotoMedia }
  /** One variant of a photo's media, fetched from peers if this device lacks it; `task` names its progress events. */
  | { readonly type: 'photo.media', readonly thread: string, readonly photo: string, readonly variant: MediaVariant, readonly task?: string }
  /** Whether this device keeps every original of the album (fetched now and as they come, never evicted). */
  | { readonly type: 'album.keepOriginals', readonly thread: string, readonly keep: boolean }
  /**
   * How many of the album's originals this device added and holds, and how many of those a backup server (the
   * follower) has confirmed it holds whole; the worker asks the server about unconfirmed ones first.
   */
  | { readonly type: 'album.ownOriginals', readonly thread: string }

/** Media replies (without the v/id envelope). */
export type MediaReply =
  | { readonly type: 'photo.mediaAdded', readonly photo: string }
  | { readonly type: 'photo.mediaData', readonly blob: Blob, readonly variant: MediaVariant }
  | { readonly type: 'album.keptOriginals', readonly thread: string, readonly keep: boolean }
  | { readonly type: 'album.ownOriginalsCounted', readonly thread: string, readonly own: number, readonly confirmed: number }

/** Media events, pushed to the tab that asked (without the v envelope). */
export type MediaEvent =
  /** How far a task has come: bytes stored (adding) or fetched (showing, downloading) of how many. */
  | { readonly type: 'media.progress', readonly task: string, readonly phase: 'store' | 'fetch', readonly done: number, readonly total: number }

type Fields = Readonly<Record<string, unknown>>
const text = (v: unknown, max = 256): boolean => typeof v === 'string' && v.length > 0 && v.length <= max
const count = (v: unknown, max: number): boolean => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max
const isBlob = (v: unknown, max: number): boolean => typeof Blob !== 'undefined' && v instanceof Blob && v.size > 0 && v.size <= max

/** Whether `v` is a media variant. */
export const isMediaVariant = (v: unknown): v is MediaVariant => (MEDIA_VARIANTS as readonly unknown[]).includes(v)

/** Whether `m` has the shape of {@link PhotoMedia} within the limits. */
export function isPhotoMedia (m: unknown): m is PhotoMedia {
  if (typeof m !== 'object' || m === null) return false
  const f = m as Fields
  return (ORIGINAL_TYPES as readonly unknown[]).includes(f.type) && count(f.size, MEDIA_MESSAGE_LIMITS.maxOriginalBytes) &&
    count(f.width, MEDIA_MESSAGE_LIMITS.maxSide) && count(f.height, MEDIA_MESSAGE_LIMITS.maxSide) &&
    (f.takenAt === undefined || Number.isSafeInteger(f.takenAt))
}

/** Shape checks of media requests, by type. */
export const mediaRequestValidators = {
  'photo.addMedia': (m: Fields) => text(m.thread) && text(m.title, 500) && text(m.task, 64) && isPhotoMedia(m.media) &&
    isBlob(m.original, MEDIA_MESSAGE_LIMITS.maxOriginalBytes) && (m.original as Blob).size === (m.media as PhotoMedia).size &&
    isBlob(m.preview, MEDIA_MESSAGE_LIMITS.maxPreviewBytes) && isBlob(m.thumbnail, MEDIA_MESSAGE_LIMITS.maxThumbnailBytes),
  'photo.media': (m: Fields) => text(m.thread) && text(m.photo) && isMediaVariant(m.variant) && (m.task === undefined || text(m.task, 64)),
  'album.keepOriginals': (m: Fields) => text(m.thread) && typeof m.keep === 'boolean',
  'album.ownOriginals': (m: Fields) => text(m.thread)
} as const

/** Shape checks of media replies, by type. */
export const mediaReplyValidators = {
  'photo.mediaAdded': (m: Fields) => text(m.photo),
  'photo.mediaData': (m: Fields) => typeof Blob !== 'undefined' && m.blob instanceof Blob && isMediaVariant(m.variant),
  'album.keptOriginals': (m: Fields) => text(m.thread) && typeof m.keep === 'boolean',
  'album.ownOriginalsCounted': (m: Fields) => text(m.thread) && count(m.own, Number.MAX_SAFE_INTEGER) && count(m.confirmed, m.own as number)
} as const

/** Shape checks of media events, by type. */
export const mediaEventValidators = {
  'media.progress': (m: Fields) => text(m.task, 64) && (m.phase === 'store' || m.phase === 'fetch') &&
    count(m.done, Number.MAX_SAFE_INTEGER) && count(m.total, Number.MAX_SAFE_INTEGER)
} as const

/** The reply type of each media request. */
export const MEDIA_REPLY_TYPE_OF = {
  'photo.addMedia': 'photo.mediaAdded',
  'photo.media': 'photo.mediaData',
  'album.keepOriginals': 'album.keptOriginals',
  'album.ownOriginals': 'album.ownOriginalsCounted'
} as const

/** Adding is not safe to repeat (it would add the photo twice); reading and choosing are. */
export const MEDIA_SAFE_TO_REPEAT = {
  'photo.addMedia': false,
  'photo.media': true,
  'album.keepOriginals': true,
  'album.ownOriginals': true
} as const
