/**
 * What the album UI calls to add, show and save photos' media. Each function
 * talks to the background node through the tab's link (it must be ready) and
 * fails with a named error whose message can be shown as it is.
 *
 * - {@link addPhotos}: prepares and adds files one by one; a file that cannot
 *   be added is refused on its own, in words, and the others go on.
 * - {@link photoImage}: an object URL of one variant of a photo, fetched from
 *   peers where this device lacks it; one request per image at a time, and
 *   {@link releasePhotoImage} frees it when no longer shown, so a tab holds
 *   the images it shows, not the album.
 * - {@link downloadOriginal}: saves the original file, byte for byte.
 * - {@link keepOriginals}, {@link storageStatus}, {@link persistStorage}.
 */
import type { MediaVariant } from '../../protocol/media-messages.ts'
import type { WireError } from '../../protocol/messages.ts'
import { NodeNotReadyError, toWireError } from '../../protocol/errors.ts'
import { randomId } from '../../protocol/random-id.ts'
import type { RpcClient } from '../../protocol/rpc-client.ts'
import { useNodeStore } from '../state/node-store.ts'
import { pageFailureLog } from './log.ts'
import { preparePhoto } from './photo-media.ts'

const logFailure = pageFailureLog('media')

/** Progress of a task, in bytes. */
export interface MediaProgress {
  readonly done: number
  readonly total: number
}

/** Progress of adding several files: which file (0-based, of how many), its name, and its bytes stored. */
export interface AddProgress extends MediaProgress {
  readonly file: number
  readonly files: number
  readonly name: string
  /** What is being done to the file now. */
  readonly stage: 'preparing' | 'storing'
}

/** What became of each file given to {@link addPhotos}. */
export interface AddOutcome {
  /** Photo IDs of the files added, in order. */
  readonly added: readonly string[]
  /** Files refused, each with why in words. */
  readonly refused: ReadonlyArray<{ readonly name: string, readonly error: WireError }>
}

const rpc = (): RpcClient => {
  const client = useNodeStore.getState().client
  if (client === undefined) throw new NodeNotReadyError('The background node is not ready yet')
  return client.rpc
}

/** Time allowed for a task over `bytes`: a minute, and a second per megabyte (slow disks and connections). */
const timeoutFor = (bytes: number): number => 60_000 + Math.ceil(bytes / 1_000)

/** Runs `run` with a fresh task ID, calling `onProgress` with that task's progress events meanwhile. */
async function withProgress<T> (client: RpcClient, onProgress: ((p: MediaProgress) => void) | undefined, run: (task: string) => Promise<T>): Promise<T> {
  const task = randomId()
  const stop = onProgress === undefined
    ? undefined
    : client.onEvent((event) => { if (event.type === 'media.progress' && event.task === task) onProgress({ done: event.done, total: event.total }) })
  try {
    return await run(task)
  } finally {
    stop?.()
  }
}

/**
 * Adds `files` to the album `thread` as photos, one after another, each titled
 * after its file name (or `title`, when it is one file). Resolves once every
 * file is added or refused.
 * @example
 * const { added, refused } = await addPhotos(album, input.files, (p) => show(`${p.name}: ${p.done} of ${p.total}`))
 */
export async function addPhotos (thread: string, files: Iterable<File>, onProgress?: (progress: AddProgress) => void, options: { readonly title?: string } = {}): Promise<AddOutcome> {
  const list = [...files]
  const added: string[] = []
  const refused: Array<{ name: string, error: WireError }> = []
  for (const [index, file] of list.entries()) {
    const tell = (stage: AddProgress['stage'], p: MediaProgress): void => { onProgress?.({ file: index, files: list.length, name: file.name, stage, ...p }) }
    try {
      tell('preparing', { done: 0, total: file.size })
      const prepared = await preparePhoto(file)
      const client = rpc()
      const named = list.length === 1 && options.title !== undefined && options.title.trim() !== '' ? options.title : file.name.replace(/\.[^.]*$/, '')
      const title = (named.trim() || 'Photo').slice(0, 500)
      const { photo } = await withProgress(client, (p) => { tell('storing', p) }, async (task) => await client.request({
        type: 'photo.addMedia', thread, title, task, original: prepared.original, preview: prepared.preview, thumbnail: prepared.thumbnail, media: prepared.media
      }, { timeoutMs: timeoutFor(file.size) }))
      added.push(photo)
    } catch (error) {
      refused.push({ name: file.name, error: toWireError(error) })
    }
  }
  return { added, refused }
}

/** Object URLs handed out, by image, with how many callers hold each. */
const images = new Map<string, { url: Promise<string>, holders: number }>()
const imageKey = (thread: string, photo: string, variant: MediaVariant): string => `${thread}\n${photo}\n${variant}`

/**
 * An object URL showing one variant of a photo; asking again for the same
 * image while it is held gives the same URL. Call {@link releasePhotoImage}
 * as often as this once it is no longer shown.
 */
export async function photoImage (thread: string, photo: string, variant: MediaVariant, onProgress?: (progress: MediaProgress) => void): Promise<string> {
  const key = imageKey(thread, photo, variant)
  const held = images.get(key)
  if (held !== undefined) {
    held.holders++
    return await held.url
  }
  const url = photoBlob(thread, photo, variant, onProgress).then((blob) => URL.createObjectURL(blob))
  images.set(key, { url, holders: 1 })
  // A failed fetch is asked for anew next time; the caller sees the failure itself.
  url.catch((error: unknown) => { if (images.get(key)?.url === url) images.delete(key); logFailure(`fetching the ${variant} of ${photo}`, error) })
  return await url
}

/** Gives back an image {@link photoImage} handed out; its URL is revoked once nobody holds it. */
export function releasePhotoImage (thread: string, photo: string, variant: MediaVariant): void {
  const key = imageKey(thread, photo, variant)
  const held = images.get(key)
  if (held === undefined || --held.holders > 0) return
  images.delete(key)
  held.url.then((url) => { URL.revokeObjectURL(url) }, (error: unknown) => { logFailure(`releasing the ${variant} of ${photo}, which never came`, error) })
}

/** One variant of a photo as a Blob (the original: the file as it was added, byte for byte). */
export async function photoBlob (thread: string, photo: string, variant: MediaVariant, onProgress?: (progress: MediaProgress) => void): Promise<Blob> {
  const client = rpc()
  // An original may be large and far away; the others are small.
  const timeoutMs = variant === 'original' ? 30 * 60_000 : 120_000
  const { blob } = await withProgress(client, onProgress, async (task) => await client.request({ type: 'photo.media', thread, photo, variant, task }, { timeoutMs }))
  return blob
}

/** Saves a photo's original file as `fileName`, byte for byte as it was added. */
export async function downloadOriginal (thread: string, photo: string, fileName: string, onProgress?: (progress: MediaProgress) => void): Promise<void> {
  const url = URL.createObjectURL(await photoBlob(thread, photo, 'original', onProgress))
  try {
    const link = document.createElement('a')
    link.href = url
    link.download = fileName
    link.rel = 'noopener'
    document.body.append(link)
    link.click()
    link.remove()
  } finally {
    // The download has taken its reference by now; the URL itself is not needed after the click.
    setTimeout(() => { URL.revokeObjectURL(url) }, 60_000)
  }
}

/** Whether this device keeps every original of `thread` (fetched now and as they come, never evicted). */
export async function keepOriginals (thread: string, keep: boolean): Promise<void> {
  await rpc().request({ type: 'album.keepOriginals', thread, keep })
}

/** How this site's storage stands: bytes used and allowed, and whether the browser keeps it under pressure. */
export interface StorageStatus {
  readonly usage: number
  readonly quota: number
  readonly persisted: boolean
}

/** This site's storage as the browser reports it. */
export async function storageStatus (): Promise<StorageStatus> {
  const [{ usage = 0, quota = 0 }, persisted] = await Promise.all([navigator.storage.estimate(), navigator.storage.persisted()])
  return { usage, quota, persisted }
}

/** Asks the browser to keep this site's storage under pressure (it may say no); resolves to whether it will. */
export async function persistStorage (): Promise<boolean> {
  return await navigator.storage.persist()
}
