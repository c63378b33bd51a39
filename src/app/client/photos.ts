/**
 * Photos as the page asks for them: an image in a given size, the original to
 * download, and adding many files at once with progress. Today every size is
 * the one image a photo record carries (`photo.image`); the functions take the
 * size so a store of several sizes slots in behind them unchanged.
 */
import { AbortError, toWireError } from '../../protocol/errors.ts'
import type { WireError } from '../../protocol/messages.ts'
import { nodeRpc } from './current-node.ts'
import { prepareImage, type PreparedImage } from './photo-image.ts'

/** The sizes a photo is shown in. */
export type PhotoVariant = 'thumbnail' | 'preview' | 'original'

/** A photo's image in `variant`, as a Blob. */
export async function photoImage (thread: string, photo: string, variant: PhotoVariant, { signal }: { signal?: AbortSignal } = {}): Promise<Blob> {
  void variant // one stored size for now: see the module comment
  const { image, imageType } = await nodeRpc().request({ type: 'photo.image', thread, photo }, { timeoutMs: 30_000, ...(signal === undefined ? {} : { signal }) })
  return new Blob([image as Uint8Array<ArrayBuffer>], { type: imageType })
}

/** Saves a photo's original to the person's downloads, named after its caption. */
export async function downloadOriginal (thread: string, photo: string, name: string): Promise<void> {
  const blob = await photoImage(thread, photo, 'original')
  const url = URL.createObjectURL(blob)
  try {
    const a = document.createElement('a')
    a.href = url
    a.download = `${name.replace(/[\\/:*?"<>|]+/g, '_').slice(0, 120)}.${blob.type.split('/')[1] ?? 'jpg'}`
    document.body.append(a)
    a.click()
    a.remove()
  } finally {
    // The click has handed the URL to the download; revoking on the next turn is safe.
    setTimeout(() => { URL.revokeObjectURL(url) }, 0)
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

/** How many files are prepared ahead of the one being saved: decoding and encoding run off the main thread meanwhile. */
const IN_FLIGHT = 3

/** A photo's caption from its file name: the name without its extension. */
export const captionOf = (file: File): string => file.name.replace(/\.[^.]*$/, '').trim().slice(0, 500) || 'Photo'

/**
 * Adds every file as a photo of `thread`, captioned by its file name, in the
 * order given (so the album keeps the order they were picked in). A few files
 * are prepared ahead while one is saved. A file that cannot be read as an
 * image is refused on its own (reported with its error) while the others go
 * on. Resolves with how many were added.
 */
export async function addPhotos (thread: string, files: readonly File[], onProgress: (progress: AddProgress) => void, { signal }: { signal?: AbortSignal } = {}): Promise<number> {
  let done = 0
  let added = 0
  const report = (index: number, file: FileProgress): void => {
    if (file.state === 'added' || file.state === 'refused') done++
    onProgress({ index, file, done, total: files.length })
  }
  // Settled results, so a file refused while earlier ones are still saving is not an unhandled rejection.
  const prepared = new Map<number, Promise<{ image: PreparedImage } | { error: unknown }>>()
  const prepare = (index: number): void => {
    const file = files[index]
    if (file === undefined || prepared.has(index)) return
    report(index, { state: 'preparing' })
    prepared.set(index, prepareImage(file).then((image) => ({ image }), (error: unknown) => ({ error })))
  }
  for (let index = 0; index < files.length; index++) {
    for (let ahead = index; ahead < index + IN_FLIGHT; ahead++) prepare(ahead)
    try {
      if (signal?.aborted === true) throw new AbortError('Adding was stopped', { cause: signal.reason })
      const result = await prepared.get(index)!
      prepared.delete(index)
      if ('error' in result) throw result.error
      const { image } = result
      report(index, { state: 'saving' })
      const { photo } = await nodeRpc().request({ type: 'photo.add', thread, title: captionOf(files[index]!), image: image.bytes, imageType: image.type }, { timeoutMs: 60_000 })
      added++
      report(index, { state: 'added', photo })
    } catch (error) {
      prepared.delete(index)
      report(index, { state: 'refused', error: toWireError(error) })
    }
  }
  return added
}
