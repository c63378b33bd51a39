/**
 * What the album UI calls to add, show and save photos' media. Each function
 * talks to the background node through the tab's link (it must be ready) and
 * fails with a named error whose message can be shown as it is.
 *
 * - {@link photoBlob}: one variant of a photo (thumbnail, preview, original),
 *   fetched from peers where this device lacks it, with progress; photos.ts
 *   builds adding, showing and downloading on it;
 * - {@link keepOriginals}, {@link ownOriginals}, {@link storageStatus}, {@link persistStorage}.
 */
import type { MediaVariant } from '../../protocol/media-messages.ts'
import { NodeNotReadyError } from '../../protocol/errors.ts'
import { randomId } from '../../protocol/random-id.ts'
import type { RpcClient } from '../../protocol/rpc-client.ts'
import { useNodeStore } from '../state/node-store.ts'

/** Progress of a task, in bytes. */
export interface MediaProgress {
  readonly done: number
  readonly total: number
}

const rpc = (): RpcClient => {
  const client = useNodeStore.getState().client
  if (client === undefined) throw new NodeNotReadyError('The background node is not ready yet')
  return client.rpc
}

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

/** One variant of a photo as a Blob (the original: the file as it was added, byte for byte). */
export async function photoBlob (thread: string, photo: string, variant: MediaVariant, onProgress?: (progress: MediaProgress) => void): Promise<Blob> {
  const client = rpc()
  // An original may be large and far away; the others are small.
  const timeoutMs = variant === 'original' ? 30 * 60_000 : 120_000
  const { blob } = await withProgress(client, onProgress, async (task) => await client.request({ type: 'photo.media', thread, photo, variant, task }, { timeoutMs }))
  return blob
}

/** Whether this device keeps every original of `thread` (fetched now and as they come, never evicted). */
export async function keepOriginals (thread: string, keep: boolean): Promise<void> {
  await rpc().request({ type: 'album.keepOriginals', thread, keep })
}

/** How many of an album's originals this device added, and how many of those a backup server confirmed it holds whole. */
export interface OwnOriginals {
  readonly own: number
  readonly confirmed: number
}

/** The album's own originals, after the worker asked the backup server about those not yet confirmed. */
export async function ownOriginals (thread: string): Promise<OwnOriginals> {
  // Asking the server may take its time (the worker gives it 15 s).
  const { own, confirmed } = await rpc().request({ type: 'album.ownOriginals', thread }, { timeoutMs: 60_000 })
  return { own, confirmed }
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
