/**
 * The page side of the media heap benchmark: drives the real background node
 * (worker/shared-worker.ts, as the app starts it) over its tab protocol. It
 * adds photos with small generated files, then browses them as an album grid
 * would: every thumbnail, a few at a time, each turned into an object URL and
 * let go once "shown", and a run of previews. The heap is read from outside
 * (bench/media.ts) between steps.
 */
import { createRpcClient, type RpcClient } from '../../src/protocol/rpc-client.ts'

let rpc: RpcClient | undefined
let thread = ''
const photos: string[] = []

const client = (): RpcClient => {
  if (rpc === undefined) throw new Error('start first')
  return rpc
}

/** A Blob of `size` bytes: a shared body and the photo's number, so every file differs. */
const file = (size: number, i: number, type: string): Blob => new Blob([new Uint8Array(size - 4), new Uint32Array([i])], { type })

async function start (): Promise<void> {
  const worker = new SharedWorker(new URL('../../worker/shared-worker.ts', import.meta.url), { type: 'module', name: 'threads-bench' })
  rpc = createRpcClient({ port: worker.port, timeoutMs: 120_000 })
  await rpc.request({ type: 'hello' })
  thread = (await rpc.request({ type: 'album.create', name: 'Heap' })).thread
}

/** Adds photos `from` to `to` (exclusive), `concurrency` at a time. */
async function add (from: number, to: number, concurrency = 4): Promise<void> {
  let next = from
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < to) {
      const i = next++
      const original = file(60_000, i, 'image/jpeg')
      const { photo } = await client().request({
        type: 'photo.addMedia', thread, title: `Photo ${i}`, task: `add-${i}`, original,
        preview: file(80_000, i, 'image/jpeg'), thumbnail: file(15_000, i, 'image/jpeg'),
        media: { type: 'image/jpeg', size: original.size, width: 4000, height: 3000 }
      })
      photos.push(photo)
    }
  }))
}

/** Shows `variant` of photos `from` to `to` as a grid would: `concurrency` at a time, each URL let go once made. */
async function browse (from: number, to: number, variant: 'thumbnail' | 'preview', concurrency = 16): Promise<number> {
  let next = from
  let bytes = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < to) {
      const photo = photos[next++]!
      const { blob } = await client().request({ type: 'photo.media', thread, photo, variant })
      bytes += blob.size
      URL.revokeObjectURL(URL.createObjectURL(blob))
    }
  }))
  return bytes
}

/** The album's report, as a tab following it is sent it. */
async function report (): Promise<number> {
  return (await client().request({ type: 'album.subscribe', thread })).photos.length
}

Object.assign(globalThis, { threadsMediaHeap: { start, add, browse, report } })
