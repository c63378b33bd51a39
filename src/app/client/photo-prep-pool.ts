/**
 * Prepares photos in a small pool of dedicated workers (photo-prep-worker.ts),
 * each file going to the least busy one, so the tab's main thread only hands
 * files over and receives their renditions. At most two workers: the machine's
 * other cores run the background node and the browser itself. Where workers
 * cannot start, photos are prepared here, as before.
 */
import { PhotoImageError } from './errors.ts'
import { pageFailureLog } from './log.ts'
import { preparePhoto, type PreparedPhoto } from './photo-media.ts'
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

/** Starts the pool on first use; undefined where this browser cannot run module workers. */
function workers (): PrepWorker[] | undefined {
  if (pool !== undefined) return pool.length === 0 ? undefined : pool
  pool = []
  try {
    for (let i = 0; i < POOL; i++) pool.push(start())
  } catch (error) {
    log('starting the workers that prepare photos (they are prepared in the page instead)', error)
    for (const p of pool) p.worker.terminate()
    pool = []
  }
  return pool.length === 0 ? undefined : pool
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
  // A worker that fails (its script did not load) hands its files back to the page.
  worker.onerror = (event) => {
    event.preventDefault()
    log('a worker preparing photos', event.error ?? new Error(event.message))
    pool = pool?.filter((p) => p !== prep)
    worker.terminate()
    for (const job of prep.waiting.values()) preparePhoto(job.file).then(job.resolve, job.reject)
    prep.waiting.clear()
  }
  return prep
}

/** {@link preparePhoto}, done off the main thread where the browser allows it. */
export async function preparePhotoOffMainThread (file: File): Promise<PreparedPhoto> {
  const all = workers()
  if (all === undefined) return await preparePhoto(file)
  const least = all.reduce((a, b) => b.waiting.size < a.waiting.size ? b : a)
  const id = nextId++
  return await new Promise<PreparedPhoto>((resolve, reject) => {
    least.waiting.set(id, { file, resolve, reject })
    least.worker.postMessage({ id, file } satisfies PrepRequest)
  })
}
