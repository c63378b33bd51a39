/**
 * `npm run bench -- follower`: a real follower process on disk (LMDB, durable)
 * under many concurrent clients over loopback, each a member of one
 * access-controlled thread pushing records of its own log, half over HTTP and
 * half over libp2p:
 * - 200 clients: records/s sustained (goal ≥ 2,000), p99 push latency
 *   (goal ≤ 500 ms) and the follower's largest RSS (goal ≤ 300 MB), beside
 *   the same pushes sent by one client at a time in the same run (the
 *   baseline: what the follower does with no concurrency to share syncs);
 * - 2,000 clients: the follower refuses the excess (503/429, or the same
 *   errors by name over libp2p), serves the rest, and `/health` answers
 *   within 1 s throughout (its slowest answer is printed);
 * - the RSS of a follower holding many threads (bench/follower-many.ts).
 *
 * Every client here comes from 127.0.0.1, so the follower runs with its
 * per-address limits (connections, requests per peer) raised to the client
 * count: they stand for many browsers behind one address. Its global limits
 * (concurrent requests, buffered bytes) keep their meaning.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { httpSyncTransport } from '../src/adapters/http/sync-transport.ts'
import { startSyncPeer, type SyncPeer } from '../src/adapters/libp2p/peer.ts'
import { syncThread, type SyncTransport } from '../src/core/sync/engine.ts'
import { startFollowerProcess, type FollowerProcess } from '../test/helpers/follower-process.ts'
import { benchManyThreads } from './follower-many.ts'
import { makeAlbum, pushLog, quantile, type Album, type ClientResult } from './follower-load.ts'

const PER_PUSH = 10
const PHASE_LIMIT_MS = 120_000

/** The follower's flags for a run with `clients` clients, all on 127.0.0.1. */
const loopbackFlags = (clients: number, concurrentRequests: number): string[] => [
  '--max-connections', String(clients + 50),
  '--max-connections-per-ip', String(clients + 50),
  '--connections-per-ip-per-second', String(clients * 2),
  '--max-pending-connections', '256',
  '--max-concurrent-requests', String(concurrentRequests),
  '--max-concurrent-requests-per-peer', String(clients)
]

/** The CPU seconds (user and system) a process has used, from /proc (clock ticks of 1/100 s). */
export async function cpuSeconds (pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Samples the follower's RSS and `/health` answer time every 100 ms until stopped; also the CPU it used meanwhile. */
function watch (follower: FollowerProcess): { stop: () => Promise<{ maxRssMb: number, healthMaxMs: number, healthP50Ms: number, healthFailures: number, cpuSeconds: number }> } {
  const cpuAtStart = cpuSeconds(follower.child.pid!)
  let maxRss = 0
  const health: number[] = []
  let healthFailures = 0
  let running = true
  const rss = async (): Promise<void> => {
    const status = await readFile(`/proc/${follower.child.pid}/status`, 'utf8')
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    maxRss = Math.max(maxRss, kb / 1024)
  }
  const loop = (async () => {
    while (running) {
      await rss()
      const start = performance.now()
      try {
        const response = await fetch(`${follower.httpUrl}/health`, { signal: AbortSignal.timeout(5000) })
        await response.arrayBuffer()
        if (!response.ok) healthFailures++
      } catch {
        healthFailures++
      }
      health.push(performance.now() - start)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  return {
    stop: async () => {
      running = false
      await loop
      return { maxRssMb: maxRss, healthMaxMs: Math.max(0, ...health), healthP50Ms: quantile(health, 0.5), healthFailures, cpuSeconds: await cpuSeconds(follower.child.pid!) - await cpuAtStart }
    }
  }
}

/** The owner's follow request and its log (genesis, invite), so members' joins are admitted. */
async function seedFollower (album: Album, follower: FollowerProcess): Promise<void> {
  const transport = httpSyncTransport(follower.httpUrl)
  const followed = await transport.request(await album.owner.followRequest())
  if (followed.type !== 'following') throw new Error(`the follower did not follow the album: ${JSON.stringify(followed)}`)
  await syncThread({ thread: album.owner.id, replica: album.db.syncReplica(), transport })
}

interface PhaseResult {
  readonly seconds: number
  readonly clients: ClientResult[]
  readonly watched: Awaited<ReturnType<ReturnType<typeof watch>['stop']>>
}

/** Every member of `album` pushes its log at once, the first `libp2pClients` over libp2p and the rest over HTTP. */
async function runPhase (album: Album, follower: FollowerProcess, libp2pClients: number): Promise<PhaseResult> {
  const peers: SyncPeer[] = []
  try {
    for (let i = 0; i < libp2pClients; i++) peers.push(await startSyncPeer())
    // Clients connect before the pushes start, a few at a time, so the phase measures pushes, not a storm of handshakes.
    let next = 0
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < peers.length) await peers[next++]!.node.dial(multiaddr(follower.multiaddr), { signal: AbortSignal.timeout(60_000) })
    }))
    const transports: SyncTransport[] = album.members.map((_m, i) => i < libp2pClients ? peers[i]!.transportTo(follower.multiaddr) : httpSyncTransport(follower.httpUrl))
    const watcher = watch(follower)
    const start = performance.now()
    const deadline = start + PHASE_LIMIT_MS
    const clients = await Promise.all(album.members.map(async (member, i) => await pushLog(transports[i]!, album.owner.id, member, PER_PUSH, deadline)))
    const seconds = (performance.now() - start) / 1000
    return { seconds, clients, watched: await watcher.stop() }
  } finally {
    await Promise.all(peers.map(async (peer) => { await peer.stop() }))
  }
}

/** Refusal and failure counts of a phase, as `name ×n` lists. */
function tally (clients: readonly ClientResult[], key: 'refusals' | 'failures'): string {
  const total = new Map<string, number>()
  for (const c of clients) for (const [name, n] of c[key]) total.set(name, (total.get(name) ?? 0) + n)
  return total.size === 0 ? 'none' : [...total].map(([name, n]) => `${name} ×${n}`).join(', ')
}

async function withFollower<T> (flags: readonly string[], use: (follower: FollowerProcess) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'threads-bench-follower-'))
  const follower = await startFollowerProcess(dir, { flags })
  try {
    return await use(follower)
  } finally {
    await follower.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

/** Runs the follower benchmarks; returns whether every goal was met. */
export async function benchFollower (options: { clients?: number, crowd?: number, recordsEach?: number } = {}): Promise<boolean> {
  // THREADS_BENCH_FOLLOWER=clients,crowd,records for a quick run (e.g. 20,200,20).
  const [envClients, envCrowd, envRecords] = (process.env.THREADS_BENCH_FOLLOWER ?? '').split(',').map((v) => v === '' ? undefined : Number(v))
  const clients = options.clients ?? envClients ?? 200
  const crowd = options.crowd ?? envCrowd ?? 2000
  const recordsEach = options.recordsEach ?? envRecords ?? 100
  const results: boolean[] = []

  let setup = performance.now()
  const album = await makeAlbum(clients, recordsEach)
  const records = album.members.reduce((sum, m) => sum + m.records.length, 0)
  console.log(`\nFollower under load (a follower process on disk, LMDB durable; ${clients} members of one album, ${recordsEach} records each after its join, ${PER_PUSH} a push; made in ${((performance.now() - setup) / 1000).toFixed(1)} s)`)

  // Baseline: the same pushes one client at a time (HTTP), so nothing shares a sync.
  const baseline = await withFollower(loopbackFlags(clients, 64), async (follower) => {
    await seedFollower(album, follower)
    const sample = album.members.slice(0, 10)
    const start = performance.now()
    let pushed = 0
    const transport = httpSyncTransport(follower.httpUrl)
    for (const member of sample) pushed += (await pushLog(transport, album.owner.id, member, PER_PUSH, start + PHASE_LIMIT_MS)).pushed
    return pushed / ((performance.now() - start) / 1000)
  })

  const phase = await withFollower(loopbackFlags(clients, Math.max(64, clients + 16)), async (follower) => {
    await seedFollower(album, follower)
    return await runPhase(album, follower, clients / 2)
  })
  const pushed = phase.clients.reduce((sum, c) => sum + c.pushed, 0)
  const perSecond = pushed / phase.seconds
  const latencies = phase.clients.flatMap((c) => c.latencies)
  const p99 = quantile(latencies, 0.99)
  const rateOk = perSecond >= 2000 && pushed === records
  const p99Ok = p99 <= 500
  const rssOk = phase.watched.maxRssMb <= 300
  console.log(`${clients} clients (${clients / 2} HTTP, ${clients / 2} libp2p): ${pushed.toLocaleString('en')} of ${records.toLocaleString('en')} records in ${phase.seconds.toFixed(1)} s`)
  console.log(`  records/s ${perSecond.toFixed(0).padStart(8)}   one client at a time: ${baseline.toFixed(0)}/s   (goal ≥ 2,000/s) ${rateOk ? 'ok' : 'BELOW GOAL'}`)
  console.log(`  push latency p50 ${quantile(latencies, 0.5).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms over ${latencies.length} pushes   (goal p99 ≤ 500 ms) ${p99Ok ? 'ok' : 'ABOVE GOAL'}`)
  console.log(`  follower CPU ${phase.watched.cpuSeconds.toFixed(1)} s: ${(phase.watched.cpuSeconds * 1e6 / pushed).toFixed(0)} µs a record, so ${(pushed / phase.watched.cpuSeconds).toFixed(0)} records/s on one free core`)
  console.log(`  follower RSS at most ${phase.watched.maxRssMb.toFixed(0)} MB   (goal ≤ 300 MB) ${rssOk ? 'ok' : 'ABOVE GOAL'}; /health p50 ${phase.watched.healthP50Ms.toFixed(0)} ms, slowest ${phase.watched.healthMaxMs.toFixed(0)} ms`)
  console.log(`  refused for load: ${tally(phase.clients, 'refusals')}; other failures: ${tally(phase.clients, 'failures')}`)
  results.push(rateOk, p99Ok, rssOk)
  await album.db.close()

  setup = performance.now()
  const crowdAlbum = await makeAlbum(crowd, 5)
  console.log(`\n${crowd.toLocaleString('en')} clients (${(crowd - clients / 2).toLocaleString('en')} HTTP, ${clients / 2} libp2p), 5 records each, the follower's default request limits (made in ${((performance.now() - setup) / 1000).toFixed(1)} s)`)
  const crowdPhase = await withFollower(loopbackFlags(crowd, 64), async (follower) => {
    await seedFollower(crowdAlbum, follower)
    return await runPhase(crowdAlbum, follower, clients / 2)
  })
  const refusals = crowdPhase.clients.reduce((sum, c) => sum + [...c.refusals.values()].reduce((a, b) => a + b, 0), 0)
  const served = crowdPhase.clients.filter((c) => c.latencies.length > 0).length
  const crowdPushed = crowdPhase.clients.reduce((sum, c) => sum + c.pushed, 0)
  const healthOk = crowdPhase.watched.healthMaxMs <= 1000 && crowdPhase.watched.healthFailures === 0
  const refusedOk = refusals > 0 && served > 0
  console.log(`  ${crowdPushed.toLocaleString('en')} records acknowledged in ${crowdPhase.seconds.toFixed(1)} s (${(crowdPushed / crowdPhase.seconds).toFixed(0)}/s); ${served} clients served; refused for load: ${tally(crowdPhase.clients, 'refusals')}; other failures: ${tally(crowdPhase.clients, 'failures')}   ${refusedOk ? 'ok' : 'NOT AS EXPECTED'}`)
  console.log(`  /health p50 ${crowdPhase.watched.healthP50Ms.toFixed(0)} ms, slowest ${crowdPhase.watched.healthMaxMs.toFixed(0)} ms, ${crowdPhase.watched.healthFailures} unanswered   (goal ≤ 1,000 ms throughout) ${healthOk ? 'ok' : 'ABOVE GOAL'}; follower RSS at most ${crowdPhase.watched.maxRssMb.toFixed(0)} MB`)
  results.push(refusedOk, healthOk)
  await crowdAlbum.db.close()

  results.push(await benchManyThreads())
  return !results.includes(false)
}
