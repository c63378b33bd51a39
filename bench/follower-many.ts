/**
 * The memory a follower needs for what it holds: a follower process on disk
 * is given THREADS × EVENTS records (by default 100 threads of 10,000 events,
 * `THREADS_BENCH_MANY=10x1000` for a quick run), each thread an
 * access-controlled album whose owner pushes its log in pushes of 500 (the
 * RSS is read as it fills); then it is started again on that store and serves
 * a member's heads and a page of records of every thread, and its RSS is read
 * once it has settled (goal ≤ 150 MB). Each figure is split into anonymous
 * memory and pages of mapped files (the node binary, and the database file,
 * whose clean pages the kernel can drop but which count in RSS while mapped:
 * none of it since the follower reads its records through SQLite's bounded page cache). Records are made with the record layer directly
 * (sealed and signed as the database makes them), so making a million costs
 * what the crypto costs, not the views.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { httpSyncTransport } from '../src/adapters/http/sync-transport.ts'
import { SQLITE_FILE } from '../src/adapters/node/sqlite-backend.ts'
import { cpuSeconds } from './process-cpu.ts'
import { residentBytesOf } from './mapped-residency.ts'
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

/** A filled album's owner, who can read it back as a member does. */
interface Owner {
  /** Asks for the thread's heads and the first page of the owner's log (with a pull proof, as the follower asks). */
  read(transport: SyncTransport): Promise<void>
  close(): Promise<void>
}

/** Makes one album, has the follower follow it, and pushes `events` records of its owner's log. */
async function fillThread (transport: SyncTransport, events: number): Promise<Owner> {
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
  const reader: Owner = {
    async read (to) {
      const proof = await replica.pullProof!(owner.id, Date.now())
      const heads = await to.request({ v: 2, type: 'heads', thread: owner.id, proof })
      if (heads.type !== 'heads') throw new Error(`heads answered ${JSON.stringify(heads).slice(0, 300)}`)
      const page = await to.request({ v: 2, type: 'pull', thread: owner.id, from: [{ log: identity.logId, after: 0 }], limit: 50, proof })
      if (page.type !== 'records') throw new Error(`a pull answered ${JSON.stringify(page).slice(0, 300)}`)
    },
    close: async () => { await db.close() }
  }
  await reader.read(transport)
  return reader
}

/** Resident memory of a process in MB: all of it, anonymous, of mapped files, and of the follower's database file alone (from /proc/<pid>/smaps). */
interface Resident { total: number, anon: number, file: number, database: number }

async function residentMb (pid: number, database: string): Promise<Resident> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const field = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024
  return { total: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile'), database: (await residentBytesOf(database, pid) ?? 0) / 2 ** 20 }
}

const shown = (r: Resident): string => `${r.total.toFixed(0)} MB (${r.anon.toFixed(0)} anonymous, ${r.file.toFixed(0)} of mapped files, ${r.database.toFixed(0)} of them the database's)`
const load = (): string => `load average ${loadavg()[0]!.toFixed(1)}`
/** Lets the follower finish what it was doing (its map is dropped within moments of its last call). */
const settle = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 5000)) }

/**
 * Runs the many-threads memory benchmark; returns whether its goal was met: a follower restarted on the
 * filled store, having served every thread's heads and first page to its member, stays within 150 MB.
 */
export async function benchManyThreads (): Promise<boolean> {
  const [threads, events] = (process.env.THREADS_BENCH_MANY ?? '100x10000').split('x').map(Number) as [number, number]
  const dir = await mkdtemp(join(tmpdir(), 'threads-bench-many-'))
  const database = join(dir, 'records', SQLITE_FILE)
  let follower = await startFollowerProcess(dir)
  const owners: Owner[] = []
  try {
    let transport = patient(httpSyncTransport(follower.httpUrl))
    const atStart = await residentMb(follower.child.pid!, database)
    const cpuAtStart = await cpuSeconds(follower.child.pid!)
    const ownCpuAtStart = process.cpuUsage()
    const start = performance.now()
    let next = 0
    let maxRss = 0
    await Promise.all(Array.from({ length: IN_PARALLEL }, async () => {
      while (next < threads) {
        next++
        owners.push(await fillThread(transport, events))
        maxRss = Math.max(maxRss, (await residentMb(follower.child.pid!, database)).total)
      }
    }))
    const seconds = (performance.now() - start) / 1000
    // Where the fill's time goes: the follower's CPU (verifying and storing) and this process's (making and signing the records).
    const followerCpu = await cpuSeconds(follower.child.pid!) - cpuAtStart
    const ownCpu = process.cpuUsage(ownCpuAtStart)
    const makerCpu = (ownCpu.user + ownCpu.system) / 1e6
    const filled = await residentMb(follower.child.pid!, database)
    const loadFilling = load()
    await settle()
    const filledSettled = await residentMb(follower.child.pid!, database)
    const size = (await stat(database)).size / 1e6
    // The same store, as a follower finds it when it starts again, then serving every thread's member.
    await follower.stop()
    follower = await startFollowerProcess(dir)
    transport = patient(httpSyncTransport(follower.httpUrl))
    const restarted = await residentMb(follower.child.pid!, database)
    let maxServing = 0
    for (const owner of owners) {
      await owner.read(transport)
      maxServing = Math.max(maxServing, (await residentMb(follower.child.pid!, database)).total)
    }
    const served = await residentMb(follower.child.pid!, database)
    await settle()
    const servedSettled = await residentMb(follower.child.pid!, database)
    const ok = servedSettled.total <= 150
    console.log(`\nA follower holding ${threads} threads × ${events.toLocaleString('en')} events (pushed in ${seconds.toFixed(0)} s, ${(threads * events / seconds).toFixed(0)} records/s, ${loadFilling}; the database file is ${size.toFixed(0)} MB)`)
    console.log(`  CPU while filling: the follower ${followerCpu.toFixed(0)} s (${(followerCpu * 1e6 / (threads * events)).toFixed(0)} µs a record), this process making the records ${makerCpu.toFixed(0)} s`)
    console.log(`  while filling: ${shown(atStart)} once started, holding nothing; at most ${maxRss.toFixed(0)} MB; ${shown(filled)} at the end, ${shown(filledSettled)} 5 s later`)
    console.log(`  restarted on that store: ${shown(restarted)}; serving each thread's heads and first page to its member, at most ${maxServing.toFixed(0)} MB; ${shown(served)} after, ${shown(servedSettled)} 5 s later (${load()})   (goal ≤ 150 MB) ${ok ? 'ok' : 'ABOVE GOAL'}`)
    return ok
  } finally {
    await Promise.all(owners.map(async (owner) => { await owner.close() }))
    await follower.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
