/**
 * Turns a chosen file into the image a photo carries: decoded by the browser,
 * scaled down so its longer side is at most {@link SIZES}[0] pixels, and
 * encoded as JPEG, smaller steps being tried until it fits in one record
 * ({@link MAX_IMAGE_BYTES}). Decoding and re-encoding also drop whatever else
 * the file held (location and camera metadata).
 */
import { MAX_IMAGE_BYTES } from '../../protocol/album-messages.ts'
import { PhotoImageError } from './errors.ts'

/** Longer side in pixels and JPEG quality, tried in order until the image fits. */
const SIZES: ReadonlyArray<readonly [number, number]> = [[1600, 0.85], [1280, 0.8], [1024, 0.75], [800, 0.7], [640, 0.6]]

/** The image bytes and their format. */
export interface PreparedImage {
  readonly bytes: Uint8Array
  readonly type: 'image/jpeg'
}

export async function prepareImage (file: Blob): Promise<PreparedImage> {
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(file)
  } catch (error) {
    throw new PhotoImageError('That file is not an image this browser can read', { cause: error })
  }
  try {
    for (const [side, quality] of SIZES) {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height))
      const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale)))
      const context = canvas.getContext('2d')
      if (context === null) throw new PhotoImageError('This browser cannot draw images, so the photo cannot be prepared')
      // JPEG has no transparency: transparent parts of a PNG become white, not black.
      context.fillStyle = '#ffffff'
      context.fillRect(0, 0, canvas.width, canvas.height)
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality })
      if (blob.size <= MAX_IMAGE_BYTES) return { bytes: new Uint8Array(await blob.arrayBuffer()), type: 'image/jpeg' }
    }
  } finally {
    bitmap.close()
  }
  throw new PhotoImageError(`The photo is still over ${MAX_IMAGE_BYTES / 1024} KiB at ${SIZES.at(-1)![0]} pixels; choose a simpler one`)
}
