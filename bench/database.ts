/**
 * Database benchmarks in Node (in-memory storage, so they measure the engine,
 * not a disk): an indexed query over 100,000 documents beside a full scan,
 * the view rebuild rate, and snapshot restore beside full replay at 100,000
 * events.
 */
import { openDatabase } from '../src/core/db/index.ts'
import { createMemoryBackend } from '../src/core/storage/memory.ts'

const EVENTS = 100_000
const WAVE = 1000

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function timeQuery (run: () => unknown, times = 21): number {
  const samples: number[] = []
  for (let i = 0; i < times; i++) {
    const start = performance.now()
    run()
    samples.push(performance.now() - start)
  }
  return median(samples)
}

/** Runs the Node database benchmarks; returns whether every goal was met. */
export async function benchDatabase (): Promise<boolean> {
  const db = openDatabase({ backend: createMemoryBackend() })
  const thread = await db.createThread({ name: 'bench' })
  const photos = thread.collection('photos', { indexes: ['album', 'takenAt'] })
  const started = performance.now()
  for (let wave = 0; wave < EVENTS / WAVE; wave++) {
    await Promise.all(Array.from({ length: WAVE }, async (_, i) => {
      const n = wave * WAVE + i
      await photos.create({ _id: `p${n}`, title: `Photo ${n}`, album: `a${n % 1000}`, unindexedAlbum: `a${n % 1000}`, takenAt: n })
    }))
  }
  const writeSeconds = (performance.now() - started) / 1000
  const heads = await thread.heads()
  console.log(`\nDatabase (Node, in-memory storage, ${EVENTS.toLocaleString('en')} events of one document each; written in ${writeSeconds.toFixed(1)} s, ${(EVENTS / writeSeconds).toFixed(0)} commands/s)`)

  const equality = timeQuery(() => photos.find({ album: 'a417' }))
  const range = timeQuery(() => photos.find({ takenAt: { $gte: 50_000, $lt: 50_100 } }))
  const scan = timeQuery(() => photos.find({ unindexedAlbum: 'a417' }), 5)
  const plan = photos.explain({ album: 'a417' })
  const queryOk = equality <= 10 && range <= 10
  console.log(`indexed equality query (${plan.returned} of ${photos.find({}, { limit: 0 }).length === 0 ? '100,000' : ''} docs, index "${plan.index}")`.padEnd(60) + `${equality.toFixed(2).padStart(8)} ms   full scan of the same query ${scan.toFixed(1).padStart(8)} ms   (goal ≤ 10 ms) ${queryOk ? 'ok' : 'ABOVE GOAL'}`)
  console.log('indexed range query (100 docs, index "takenAt")'.padEnd(60) + `${range.toFixed(2).padStart(8)} ms`)

  const replay = await thread.rebuild('log')
  const restore = await thread.rebuild('snapshot')
  const speedup = replay.restoreMs / restore.restoreMs
  const restoreOk = speedup >= 10
  console.log('view rebuild from the log (full replay, in memory)'.padEnd(60) + `${(EVENTS / (replay.restoreMs / 1000)).toFixed(0).padStart(8)} events/s   (${(replay.restoreMs / 1000).toFixed(2)} s for ${heads[0]!.seq.toLocaleString('en')} events)`)
  console.log('restore from snapshot + replay of the tail (in memory)'.padEnd(60) + `${(restore.restoreMs / 1000).toFixed(3).padStart(8)} s      ${speedup.toFixed(1)}× faster than full replay (goal ≥ 10×) ${restoreOk ? 'ok' : 'BELOW GOAL'}`)
  console.log('writing the rebuilt view in place of the stored one'.padEnd(60) + `${(replay.writeMs / 1000).toFixed(2).padStart(8)} s after replay, ${(restore.writeMs / 1000).toFixed(2)} s after restore (the same work)`)
  if (photos.find({ album: 'a417' }).length !== 100) throw new Error('the rebuilt view lost documents')
  await db.close()
  return queryOk && restoreOk
}
