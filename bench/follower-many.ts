/**
 * The memory a follower needs for what it holds: a follower process on disk
 * is given THREADS × EVENTS records (by default 100 threads of 10,000 events,
 * `THREADS_BENCH_MANY=10x1000` for a quick run), each thread an
 * access-controlled album whose owner pushes its log in pushes of 500; then it
 * serves a member's heads and a page of records of every thread, and its RSS
 * is read (goal ≤ 150 MB). Records are made with the record layer directly
 * (sealed and signed as the database makes them), so making a million costs
 * what the crypto costs, not the views.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { httpSyncTransport } from '../src/adapters/http/sync-transport.ts'
import { openDatabase } from '../src/core/db/index.ts'
import { logIdentityFromSeed } from '../src/core/ids/log-id.ts'
import { createRecord, type LogPosition } from '../src/core/log/create-record.ts'
import { createKeyBook } from '../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../src/core/storage/memory.ts'
import type { SyncTransport } from '../src/core/sync/engine.ts'
import type { RecordEnvelope } from '../src/core/sync/messages.ts'
import { startFollowerProcess } from '../test/helpers/follower-process.ts'

const PER_PUSH = 500
const IN_PARALLEL = 4

/** Refusals for load, after which a request is sent again once Retry-After has passed. */
const BUSY = new Set(['FollowerBusyError', 'TooManyRequestsError'])
const MAX_BUSY_ATTEMPTS = 60

/** `transport`, sending a request again (a second later, up to MAX_BUSY_ATTEMPTS times) while the follower refuses it for load. */
function patient (transport: SyncTransport): SyncTransport {
  return {
    async request (request, options) {
      for (let attempt = 1; ; attempt++) {
        const answer = await transport.request(request, options)
        if (answer.type !== 'error' || !BUSY.has(answer.name) || attempt >= MAX_BUSY_ATTEMPTS) return answer
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    }
  }
}

/** Makes one album, has the follower follow it, and pushes `events` records of its owner's log. */
async function fillThread (transport: SyncTransport, events: number): Promise<void> {
  const backend = createMemoryBackend()
  const db = openDatabase({ backend })
  const owner = await db.createThread({ name: 'Album' })
  const followed = await transport.request(await owner.followRequest())
  if (followed.type !== 'following') throw new Error(`the follower did not follow: ${JSON.stringify(followed)}`)
  const keys = createKeyBook(backend.meta)
  const self = await keys.self(owner.id)
  const identity = logIdentityFromSeed(self.identitySeed)
  const epoch = (await keys.epochs(owner.id))[0]!
  const replica = db.syncReplica()
  // The owner's log so far (its genesis) goes first.
  const head = (await replica.heads(owner.id)).find((h) => h.log === identity.logId)!
  const first = await replica.recordsAfter(owner.id, identity.logId, 0, head.seq)
  let prev: LogPosition = { record: head.record, seq: head.seq }
  let batch: RecordEnvelope[] = [...first]
  const caption = 'x'.repeat(200)
  for (let i = 0; i < events; i++) {
    const created = await createRecord({ thread: owner.id, identity, epoch, payload: { v: 1, type: 'db', clock: i + 1, ops: [{ op: 'put', coll: 'photos', id: `p${i}`, doc: { caption } }] }, prev })
    prev = { record: created.record, seq: created.node.seq, link: created.link }
    batch.push({ log: identity.logId, record: created.record, blocks: [...created.blocks] })
    if (batch.length >= PER_PUSH || i === events - 1) {
      const answer = await transport.request({ v: 2, type: 'push', thread: owner.id, records: batch }, { signal: AbortSignal.timeout(120_000) })
      if (answer.type !== 'pushed' || answer.rejected.length > 0) throw new Error(`a push was answered ${JSON.stringify(answer).slice(0, 300)}`)
      batch = []
    }
  }
  // A member reads: heads and the first page of the log (with a pull proof, as the follower asks).
  const proof = await replica.pullProof!(owner.id, Date.now())
  const heads = await transport.request({ v: 2, type: 'heads', thread: owner.id, proof })
  if (heads.type !== 'heads') throw new Error(`heads answered ${JSON.stringify(heads).slice(0, 300)}`)
  const page = await transport.request({ v: 2, type: 'pull', thread: owner.id, from: [{ log: identity.logId, after: 0 }], limit: 50, proof })
  if (page.type !== 'records') throw new Error(`a pull answered ${JSON.stringify(page).slice(0, 300)}`)
  await db.close()
}

/** A field of /proc/<pid>/status in MB (VmRSS: all resident memory; RssFile: pages of mapped files, LMDB's included). */
const statusMb = async (pid: number, field = 'VmRSS'): Promise<number> => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
const rssMb = async (pid: number): Promise<number> => await statusMb(pid)

/** Runs the many-threads memory benchmark; returns whether its goal was met. */
export async function benchManyThreads (): Promise<boolean> {
  const [threads, events] = (process.env.THREADS_BENCH_MANY ?? '100x10000').split('x').map(Number) as [number, number]
  const dir = await mkdtemp(join(tmpdir(), 'threads-bench-many-'))
  const follower = await startFollowerProcess(dir)
  try {
    const transport = patient(httpSyncTransport(follower.httpUrl))
    const atStart = await rssMb(follower.child.pid!)
    const start = performance.now()
    let next = 0
    let maxRss = 0
    await Promise.all(Array.from({ length: IN_PARALLEL }, async () => {
      while (next < threads) {
        next++
        await fillThread(transport, events)
        maxRss = Math.max(maxRss, await rssMb(follower.child.pid!))
      }
    }))
    const seconds = (performance.now() - start) / 1000
    const settled = await rssMb(follower.child.pid!)
    const ok = settled <= 150
    console.log(`\nA follower holding ${threads} threads × ${events.toLocaleString('en')} events (pushed in ${seconds.toFixed(0)} s, ${(threads * events / seconds).toFixed(0)} records/s; each thread's heads and first page then pulled by a member)`)
    const pid = follower.child.pid!
    console.log(`  follower RSS ${atStart.toFixed(0)} MB once started, holding nothing; ${settled.toFixed(0)} MB after (${(await statusMb(pid, 'RssAnon')).toFixed(0)} MB anonymous, ${(await statusMb(pid, 'RssFile')).toFixed(0)} MB of mapped files; the database file is ${((await stat(join(dir, 'lmdb', 'threads.mdb'))).size / 1e6).toFixed(0)} MB), at most ${maxRss.toFixed(0)} MB while filling   (goal ≤ 150 MB) ${ok ? 'ok' : 'ABOVE GOAL'}`)
    return ok
  } finally {
    await follower.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
