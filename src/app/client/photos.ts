/**
 * Photos as the album's components ask for them: an image in a given size,
 * the original to download, and adding many files at once with per-file
 * progress. Over the media requests (media.ts): the tab makes each file's
 * thumbnail and preview, the background node keeps all three as encrypted
 * blocks and fetches them from peers when this device lacks them.
 */
import { AbortError, toWireError } from '../../protocol/errors.ts'
import type { WireError } from '../../protocol/messages.ts'
import type { MediaVariant } from '../../protocol/media-messages.ts'
import { nodeRpc } from './current-node.ts'
import { photoBlob } from './media.ts'
import { preparePhotoOffMainThread } from './photo-prep-pool.ts'
import { randomId } from '../../protocol/random-id.ts'

/** The sizes a photo is shown in. */
export type PhotoVariant = MediaVariant

/** A photo's image in `variant`, as a Blob. */
export async function photoImage (thread: string, photo: string, variant: PhotoVariant, { signal }: { signal?: AbortSignal } = {}): Promise<Blob> {
  if (signal?.aborted === true) throw new AbortError('No longer shown', { cause: signal.reason })
  return await photoBlob(thread, photo, variant)
}

/** File name endings of the types a photo's original may have. */
const ENDINGS: Readonly<Record<string, string>> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif', 'image/heic': 'heic', 'image/avif': 'avif' }

/** Saves a photo's original, byte for byte as it was added, to the person's downloads, named after its caption. */
export async function downloadOriginal (thread: string, photo: string, name: string): Promise<void> {
  const blob = await photoImage(thread, photo, 'original')
  const url = URL.createObjectURL(blob)
  try {
    const a = document.createElement('a')
    a.href = url
    a.download = `${name.replace(/[\\/:*?"<>|]+/g, '_').slice(0, 120)}.${ENDINGS[blob.type] ?? blob.type.split('/')[1] ?? 'jpg'}`
    document.body.append(a)
    a.click()
    a.remove()
  } finally {
    // The download has taken its reference by the time a minute has passed.
    setTimeout(() => { URL.revokeObjectURL(url) }, 60_000)
  }
}

/** Where one file of {@link addPhotos} stands. */
export type FileProgress =
  | { readonly state: 'waiting' | 'preparing' | 'saving' }
  | { readonly state: 'added', readonly photo: string }
  | { readonly state: 'refused', readonly error: WireError }

/** One report of {@link addPhotos}: file `index` changed; `done` of `total` files are finished (added or refused). */
export interface AddProgress {
  readonly index: number
  readonly file: FileProgress
  readonly done: number
  readonly total: number
}

/**
 * How many files are under way at once, from preparing to stored: while one
 * is encrypted and written by the node, the next are decoded and encoded
 * (off the main thread, by the browser's image decoders), so neither side
 * waits on the other. Requests still reach the node in the order picked.
 */
const IN_FLIGHT = 6

/** A photo's caption from its file name: the name without its extension. */
export const captionOf = (file: File): string => file.name.replace(/\.[^.]*$/, '').trim().slice(0, 500) || 'Photo'

/** Time allowed to store a file of `bytes`: a minute, and a second per megabyte (slow disks). */
const timeoutFor = (bytes: number): number => 60_000 + Math.ceil(bytes / 1_000)

/**
 * Adds every file as a photo of `thread`, captioned by its file name (or
 * `title`, when it is one file), in the order given (so the album keeps the
 * order they were picked in: each request is sent once the one before it
 * was). A few files are prepared and saved at once. A file that cannot be
 * read as an image is refused on its own (reported with its error) while the
 * others go on. Resolves with the IDs of the photos added, in order.
 */
export async function addPhotos (thread: string, files: readonly File[], onProgress: (progress: AddProgress) => void, { signal, title }: { signal?: AbortSignal, title?: string } = {}): Promise<string[]> {
  let done = 0
  const added: Array<string | undefined> = []
  const report = (index: number, file: FileProgress): void => {
    if (file.state === 'added' || file.state === 'refused') done++
    onProgress({ index, file, done, total: files.length })
  }
  /** Prepares file `index` and, once file `index - 1` was sent (`turn`), sends it; resolves when it is stored or refused. */
  const addOne = async (index: number, file: File, turn: Promise<void>, sent: () => void): Promise<void> => {
    try {
      report(index, { state: 'preparing' })
      // Settled first, so a refusal waits for its turn like the others and is never unhandled.
      const prepared = await preparePhotoOffMainThread(file).then((photo) => ({ photo }), (error: unknown) => ({ error }))
      await turn
      if (signal?.aborted === true) throw new AbortError('Adding was stopped', { cause: signal.reason })
      if ('error' in prepared) throw prepared.error
      const { photo: p } = prepared
      report(index, { state: 'saving' })
      const caption = files.length === 1 && title !== undefined && title.trim() !== '' ? title.trim().slice(0, 500) : captionOf(file)
      const request = nodeRpc().request({
        type: 'photo.addMedia', thread, title: caption, task: randomId(), original: p.original, preview: p.preview, thumbnail: p.thumbnail, media: p.media
      }, { timeoutMs: timeoutFor(file.size) })
      sent()
      const { photo } = await request
      added[index] = photo
      report(index, { state: 'added', photo })
    } catch (error) {
      report(index, { state: 'refused', error: toWireError(error) })
    } finally {
      sent() // a refused file lets the next one go
    }
  }
  const running = new Set<Promise<void>>()
  let turn: Promise<void> = Promise.resolve()
  for (const [index, file] of files.entries()) {
    while (running.size >= IN_FLIGHT) await Promise.race(running)
    let sent!: () => void
    const next = new Promise<void>((resolve) => { sent = resolve })
    const one = addOne(index, file, turn, sent).finally(() => { running.delete(one) })
    running.add(one)
    turn = next
  }
  await Promise.all(running)
  return added.filter((id): id is string => id !== undefined)
}
