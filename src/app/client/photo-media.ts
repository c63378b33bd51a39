/**
 * Turns a chosen file into what a photo is stored as: the original file
 * itself, untouched (it is handed to the worker as the File it is, never
 * read into the tab's memory); a display-size preview and a thumbnail, made
 * with createImageBitmap and OffscreenCanvas (in a worker: photo-prep-pool.ts); and what its record says
 * of it: type, size, dimensions and when it was taken (EXIF, through exifr).
 * The location an original may hold stays inside it, encrypted: nothing of it
 * is read or copied into the record.
 *
 * Every refusal is a PhotoImageError naming the file, in words.
 */
import { MEDIA_MESSAGE_LIMITS, ORIGINAL_TYPES, type PhotoMedia } from '../../protocol/media-messages.ts'
import { parse } from 'exifr'
import { PhotoImageError } from './errors.ts'
import { pageFailureLog } from './log.ts'

/** A photo ready to be added: the original, its renditions and what the record says of it. */
export interface PreparedPhoto {
  readonly original: File
  /** JPEG, longer side at most 2,048 px. */
  readonly preview: Blob
  /** JPEG, longer side at most 400 px. */
  readonly thumbnail: Blob
  readonly media: PhotoMedia
}

/** Qualities tried in turn until a rendition fits its limit. */
const QUALITIES = [0.85, 0.7, 0.5, 0.3]

/** Media types by file name ending, for files the browser gives no type (HEIC often has none). */
const TYPE_BY_ENDING: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', heif: 'image/heif', avif: 'image/avif'
}

/** The photo formats, named as a person knows them. */
const FORMAT_WORDS = 'JPEG, PNG, WebP, GIF, AVIF or HEIC'

/** Prepares `file` as a photo, or refuses it in words. */
export async function preparePhoto (file: File): Promise<PreparedPhoto> {
  const type = file.type !== '' ? file.type : TYPE_BY_ENDING[file.name.split('.').pop()?.toLowerCase() ?? ''] ?? ''
  if (!(ORIGINAL_TYPES as readonly string[]).includes(type)) {
    throw new PhotoImageError(`"${file.name}" is not a photo Threads can keep (it takes ${FORMAT_WORDS} files)`)
  }
  if (file.size === 0) throw new PhotoImageError(`"${file.name}" is empty`)
  if (file.size > MEDIA_MESSAGE_LIMITS.maxOriginalBytes) {
    throw new PhotoImageError(`"${file.name}" is ${megabytes(file.size)}, over the ${megabytes(MEDIA_MESSAGE_LIMITS.maxOriginalBytes)} a photo may be`)
  }
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(file)
  } catch (error) {
    const heic = type === 'image/heic' || type === 'image/heif'
    throw new PhotoImageError(`This browser cannot read "${file.name}"${heic ? ' (it cannot show HEIC photos; save it as JPEG first)' : ': the file may be damaged'}`, { cause: error })
  }
  const { width, height } = bitmap
  try {
    const opaque = OPAQUE_TYPES.has(type)
    const [thumbnail, takenAt] = await Promise.all([
      rendition({ name: file.name, bitmap, side: MEDIA_MESSAGE_LIMITS.thumbnailSide, maxBytes: MEDIA_MESSAGE_LIMITS.maxThumbnailBytes, opaque, last: false }),
      dateTaken(file)
    ])
    // The preview comes last: it may take the decoded photo itself.
    const preview = await rendition({ name: file.name, bitmap, side: MEDIA_MESSAGE_LIMITS.previewSide, maxBytes: MEDIA_MESSAGE_LIMITS.maxPreviewBytes, opaque, last: true })
    return { original: file, preview, thumbnail, media: { type, size: file.size, width, height, ...(takenAt === undefined ? {} : { takenAt }) } }
  } finally {
    bitmap.close()
  }
}

/** Types that never have transparent parts, so they need no white put under them. */
const OPAQUE_TYPES = new Set(['image/jpeg'])

/**
 * `bitmap` scaled so its longer side is at most `side`, as a JPEG of at most
 * `maxBytes`. An opaque image is handed to the encoder as it is, without
 * drawing it again; the `last` rendition of a photo may take `bitmap` itself
 * for that (it is not copied).
 */
async function rendition ({ name, bitmap, side, maxBytes, opaque, last }: { name: string, bitmap: ImageBitmap, side: number, maxBytes: number, opaque: boolean, last: boolean }): Promise<Blob> {
  const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height))
  const width = Math.max(1, Math.round(bitmap.width * scale))
  const height = Math.max(1, Math.round(bitmap.height * scale))
  const scaled = scale === 1 ? undefined : await createImageBitmap(bitmap, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' })
  try {
    const canvas = new OffscreenCanvas(width, height)
    const renderer = opaque ? canvas.getContext('bitmaprenderer') : null
    if (renderer !== null) {
      // The renderer takes the bitmap it is given: the shared one is copied unless this is its last use.
      renderer.transferFromImageBitmap(scaled ?? (last ? bitmap : await createImageBitmap(bitmap)))
    } else {
      const context = canvas.getContext('2d')
      if (context === null) throw new PhotoImageError('This browser cannot draw images, so photos cannot be prepared')
      // JPEG has no transparency: transparent parts become white, not black.
      context.fillStyle = '#ffffff'
      context.fillRect(0, 0, width, height)
      context.drawImage(scaled ?? bitmap, 0, 0, width, height)
    }
    for (const quality of QUALITIES) {
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality })
      if (blob.size <= maxBytes) return blob
    }
    throw new PhotoImageError(`"${name}" could not be made small enough to show at ${side} pixels`)
  } finally {
    scaled?.close()
  }
}

/** When the photo was taken, from its EXIF data; undefined where it has none (or none that reads). */
async function dateTaken (file: File): Promise<number | undefined> {
  try {
    // Only the two date tags: GPS and everything else stay unread.
    const tags = await parse(file, { pick: ['DateTimeOriginal', 'CreateDate'], gps: false, xmp: false, icc: false, iptc: false, jfif: false, ihdr: false }) as Record<string, unknown> | undefined
    const date = tags?.DateTimeOriginal ?? tags?.CreateDate
    return date instanceof Date && Number.isSafeInteger(date.getTime()) ? date.getTime() : undefined
  } catch (error) {
    // A photo without readable EXIF is still a photo; it just has no date taken.
    pageFailureLog('photo-media')(`reading the date "${file.name}" was taken`, error)
    return undefined
  }
}

const megabytes = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MB`
