/**
 * Small images as data URLs, read asynchronously. An object URL is registered
 * with the browser synchronously, which on a loaded machine held up the page
 * for tens of milliseconds at a time when hundreds of thumbnails came and went
 * (scrolling) or a screenful appeared at once (opening the app); a data URL
 * costs a read off the main thread and nothing to revoke. Each is held in the
 * page as text a third larger than the image, so only thumbnails within
 * MEDIA_MESSAGE_LIMITS.maxThumbnailBytes are read so.
 */
import { ThumbnailTooLargeError } from '../../protocol/errors.ts'
import { MEDIA_MESSAGE_LIMITS } from '../../protocol/media-messages.ts'

/** `blob` as a data URL. */
export async function dataUrlOf (blob: Blob): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => { resolve(reader.result as string) }
    reader.onerror = () => { reject(reader.error ?? new Error('The image could not be read')) }
    reader.readAsDataURL(blob)
  })
}

/** A thumbnail as a data URL; ThumbnailTooLargeError past the cap, unread. */
export async function thumbnailUrlOf (blob: Blob): Promise<string> {
  if (blob.size > MEDIA_MESSAGE_LIMITS.maxThumbnailBytes) throw new ThumbnailTooLargeError(`This thumbnail is ${blob.size} bytes; a thumbnail may take ${MEDIA_MESSAGE_LIMITS.maxThumbnailBytes} bytes, so it is not shown`)
  return await dataUrlOf(blob)
}
