/**
 * Prepares photos in a small pool of dedicated workers (photo-prep-worker.ts),
 * each file going to the least busy one, so the tab's main thread only hands
 * files over and receives their renditions (and never loads the image
 * code). At most two workers: the machine's other cores run the background
 * node and the browser itself. A browser without module workers cannot run
 * the background node either, so there is no in-page fallback.
 */
import { PhotoImageError } from './errors.ts'
import { pageFailureLog } from './log.ts'
import type { PreparedPhoto } from './photo-media.ts'
import type { PrepReply, PrepRequest } from './photo-prep-messages.ts'

/** How many workers prepare photos, at most. */
const POOL = Math.max(1, Math.min(2, (navigator.hardwareConcurrency || 2) - 1))

interface PrepWorker {
  readonly worker: Worker
  readonly waiting: Map<number, { file: File, resolve: (photo: PreparedPhoto) => void, reject: (error: unknown) => void }>
}

let pool: PrepWorker[] | undefined
let nextId = 0
const log = pageFailureLog('photo-prep')

/** Starts the pool on first use. */
function workers (): PrepWorker[] {
  if (pool === undefined || pool.length === 0) pool = Array.from({ length: POOL }, start)
  return pool
}

function start (): PrepWorker {
  // Vite bundles the worker from this exact `new Worker(new URL(...))` shape.
  const worker = new Worker(new URL('./photo-prep-worker.ts', import.meta.url), { type: 'module', name: 'photo-prep' })
  const prep: PrepWorker = { worker, waiting: new Map() }
  worker.onmessage = ({ data }: MessageEvent<PrepReply>) => {
    const job = prep.waiting.get(data.id)
    if (job === undefined) return
    prep.waiting.delete(data.id)
    if ('error' in data) job.reject(data.error.name === PhotoImageError.errorName ? new PhotoImageError(data.error.message) : new PhotoImageError(`"${job.file.name}" could not be prepared: ${data.error.message}`))
    else job.resolve({ original: job.file, preview: data.preview, thumbnail: data.thumbnail, media: data.media })
  }
  // A worker that fails (its script did not load) refuses its files in words; the next file starts a new one.
  worker.onerror = (event) => {
    event.preventDefault()
    log('a worker preparing photos', event.error ?? new Error(event.message))
    pool = pool?.filter((p) => p !== prep)
    worker.terminate()
    for (const job of prep.waiting.values()) job.reject(new PhotoImageError(`"${job.file.name}" could not be prepared: this page could not start its image worker; reload the page`))
    prep.waiting.clear()
  }
  return prep
}

/** preparePhoto (photo-media.ts), done in a worker, off the main thread. */
export async function preparePhotoOffMainThread (file: File): Promise<PreparedPhoto> {
  const all = workers()
  const least = all.reduce((a, b) => b.waiting.size < a.waiting.size ? b : a)
  const id = nextId++
  return await new Promise<PreparedPhoto>((resolve, reject) => {
    least.waiting.set(id, { file, resolve, reject })
    least.worker.postMessage({ id, file } satisfies PrepRequest)
  })
}
