/**
 * Small images as data URLs, read asynchronously. An object URL is registered
 * with the browser synchronously, which on a loaded machine held up the page
 * for tens of milliseconds at a time when hundreds of thumbnails came and went
 * (scrolling) or a screenful appeared at once (opening the app); a data URL
 * costs a read off the main thread and nothing to revoke.
 */

/** `blob` as a data URL. */
export async function dataUrlOf (blob: Blob): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => { resolve(reader.result as string) }
    reader.onerror = () => { reject(reader.error ?? new Error('The image could not be read')) }
    reader.readAsDataURL(blob)
  })
}
