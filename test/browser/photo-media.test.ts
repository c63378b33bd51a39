/**
 * Preparing a chosen file as a photo, in real Chromium: the original is the
 * file itself; the preview and thumbnail are JPEGs within 2,048 and 400 px,
 * proportions kept; the date taken comes from the file's EXIF data and its
 * location does not come out at all; files that are not photos, or that the
 * browser cannot decode, are refused one by one, naming the file, in words.
 */
import { describe, expect, it } from 'vitest'
import { thumbnailUrlOf } from '../../src/app/client/data-url.ts'
import { preparePhoto } from '../../src/app/client/photo-media.ts'
import { MEDIA_MESSAGE_LIMITS } from '../../src/protocol/media-messages.ts'

/** A JPEG of `width` × `height` pixels, drawn here. */
async function jpeg (width: number, height: number): Promise<Blob> {
  const canvas = new OffscreenCanvas(width, height)
  const context = canvas.getContext('2d')!
  context.fillStyle = '#3a6'
  context.fillRect(0, 0, width, height)
  return await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })
}

/**
 * `image` with an EXIF segment saying when it was taken and where (big-endian TIFF:
 * IFD0 pointing to an Exif IFD with DateTimeOriginal, and to a GPS IFD with a latitude).
 */
async function withExif (image: Blob, taken: string): Promise<Blob> {
  const tiff = new DataView(new ArrayBuffer(128))
  const ascii = (at: number, text: string): void => { for (let i = 0; i < text.length; i++) tiff.setUint8(at + i, text.charCodeAt(i)) }
  const entry = (at: number, tag: number, type: number, count: number, value: number): void => {
    tiff.setUint16(at, tag); tiff.setUint16(at + 2, type); tiff.setUint32(at + 4, count); tiff.setUint32(at + 8, value)
  }
  ascii(0, 'MM'); tiff.setUint16(2, 42); tiff.setUint32(4, 8)
  tiff.setUint16(8, 2) // IFD0: two entries
  entry(10, 0x8769, 4, 1, 38) // Exif IFD at 38
  entry(22, 0x8825, 4, 1, 76) // GPS IFD at 76
  tiff.setUint32(34, 0)
  tiff.setUint16(38, 1) // Exif IFD: one entry
  entry(40, 0x9003, 2, 20, 56) // DateTimeOriginal at 56
  tiff.setUint32(52, 0)
  ascii(56, `${taken}\0`)
  tiff.setUint16(76, 1) // GPS IFD: one entry
  entry(78, 0x0001, 2, 2, 0x4e000000) // GPSLatitudeRef "N", inline
  tiff.setUint32(90, 0)
  const header = new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0, 0, ...new TextEncoder().encode('Exif\0\0')])
  new DataView(header.buffer).setUint16(4, 2 + 6 + tiff.byteLength)
  return new Blob([header, tiff.buffer, (await image.arrayBuffer()).slice(2)], { type: 'image/jpeg' })
}

const sizeOf = async (blob: Blob): Promise<[number, number]> => {
  const bitmap = await createImageBitmap(blob)
  try { return [bitmap.width, bitmap.height] } finally { bitmap.close() }
}

describe('preparing a photo', () => {
  it('keeps the original, makes a preview and a thumbnail, and reads when it was taken', async () => {
    const file = new File([await withExif(await jpeg(4000, 3000), '2021:07:04 10:30:00')], 'Lake.jpg', { type: 'image/jpeg' })
    const prepared = await preparePhoto(file)
    expect(prepared.original).toBe(file)
    expect(await sizeOf(prepared.preview)).toEqual([2048, 1536])
    expect(await sizeOf(prepared.thumbnail)).toEqual([400, 300])
    expect(prepared.preview.type).toBe('image/jpeg')
    expect(prepared.media).toEqual({ type: 'image/jpeg', size: file.size, width: 4000, height: 3000, takenAt: new Date(2021, 6, 4, 10, 30, 0).getTime() })
    // Nothing of where: the record's fields are these, and the renditions are drawn pixels with no EXIF.
    expect(new Uint8Array(await prepared.thumbnail.arrayBuffer()).slice(2, 4)).not.toEqual(new Uint8Array([0xff, 0xe1]))
  })

  it(`makes a thumbnail within the ${MEDIA_MESSAGE_LIMITS.maxThumbnailBytes} bytes a tab lists thousands of even from noise (JPEG's worst case), and a tab refuses a larger one by name`, async () => {
    const canvas = new OffscreenCanvas(1600, 1600)
    const context = canvas.getContext('2d')!
    const pixels = context.createImageData(1600, 1600)
    let x = 7
    for (let i = 0; i < pixels.data.length; i++) { x = (x * 1103515245 + 12345) >>> 0; pixels.data[i] = i % 4 === 3 ? 255 : x >>> 24 }
    context.putImageData(pixels, 0, 0)
    const file = new File([await canvas.convertToBlob({ type: 'image/png' })], 'Noise.png', { type: 'image/png' })
    const prepared = await preparePhoto(file)
    expect(await sizeOf(prepared.thumbnail)).toEqual([400, 400])
    expect(prepared.thumbnail.size).toBeLessThanOrEqual(MEDIA_MESSAGE_LIMITS.maxThumbnailBytes)
    expect(await thumbnailUrlOf(prepared.thumbnail)).toMatch(/^data:image\/jpeg;base64,/)
    const larger = new Blob([new Uint8Array(MEDIA_MESSAGE_LIMITS.maxThumbnailBytes + 1)], { type: 'image/jpeg' })
    await expect(thumbnailUrlOf(larger)).rejects.toMatchObject({ name: 'ThumbnailTooLargeError' })
  })

  it('keeps small photos at their size, and takes a type from the name where the file has none', async () => {
    const prepared = await preparePhoto(new File([await jpeg(300, 200)], 'small.JPG'))
    expect(prepared.media).toMatchObject({ type: 'image/jpeg', width: 300, height: 200 })
    expect(prepared.media.takenAt).toBeUndefined()
    expect(await sizeOf(prepared.thumbnail)).toEqual([300, 200])
  })

  it('refuses, naming the file, what is not a photo or cannot be read', async () => {
    await expect(preparePhoto(new File(['words'], 'notes.txt', { type: 'text/plain' }))).rejects.toThrow('"notes.txt" is not a photo Threads can keep (it takes JPEG, PNG, WebP, GIF, AVIF or HEIC files)')
    await expect(preparePhoto(new File(['not pixels'], 'broken.jpg', { type: 'image/jpeg' }))).rejects.toMatchObject({ name: 'PhotoImageError', message: 'This browser cannot read "broken.jpg": the file may be damaged' })
    await expect(preparePhoto(new File(['not pixels'], 'IMG_1.HEIC'))).rejects.toThrow('This browser cannot read "IMG_1.HEIC" (it cannot show HEIC photos; save it as JPEG first)')
    await expect(preparePhoto(new File([], 'empty.png', { type: 'image/png' }))).rejects.toThrow('"empty.png" is empty')
  })
})
