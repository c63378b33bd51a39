/**
 * `npm run bench -- follower`: a real follower process on disk (durable)
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
 * (concurrent requests, buffered bytes, the time its answers may take) keep
 * their defaults: past them a push is refused at once and sent again after
 * Retry-After, and the refusals are counted beside the latencies of the
 * pushes served. libp2p clients push over sync sessions, as the app does.
 *
 * The clients run in a process of their own (follower-clients.ts) with their
 * pushes encoded and their connections (libp2p and HTTP) open before the
 * clock starts, so on a machine of two cores they
 * take one core at most and the follower verifies, admits and stores every
 * record as ever; HTTP clients post through node:http (http-sender.ts), which
 * costs them a fraction of fetch's CPU. The follower's own CPU time is printed
 * per record, and the load average beside each phase.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { httpSyncTransport } from '../src/adapters/http/sync-transport.ts'
import { syncThread } from '../src/core/sync/engine.ts'
import { startFollowerProcess, type FollowerProcess } from '../test/helpers/follower-process.ts'
import { readClientsOutput, type ClientsInput, type ClientsOutput } from './follower-clients.ts'
import { benchManyThreads } from './follower-many.ts'
import { cpuSeconds } from './process-cpu.ts'
import { encodePushes, makeAlbum, quantile, sustainedRate, type Album, type ClientResult, type EncodedPush } from './follower-load.ts'

const PER_PUSH = 10
const PHASE_LIMIT_MS = 120_000

/** The follower's flags for a run with `clients` clients, all on 127.0.0.1. */
const loopbackFlags = (clients: number): string[] => [
  '--max-connections', String(clients + 50),
  '--max-connections-per-ip', String(clients + 50),
  '--connections-per-ip-per-second', String(clients * 2),
  '--max-pending-connections', '256',
  '--max-concurrent-requests-per-peer', String(clients)
]

/** Samples the follower's RSS and `/health` answer time every 100 ms until stopped; also the CPU it used meanwhile. */
export function watch (follower: FollowerProcess): { stop: () => Promise<{ maxRssMb: number, healthMaxMs: number, healthP50Ms: number, healthFailures: number, cpuSeconds: number }> } {
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

export interface PhaseResult {
  readonly seconds: number
  readonly clients: ClientResult[]
  readonly watched: Awaited<ReturnType<ReturnType<typeof watch>['stop']>>
  /** CPU seconds the clients process used meanwhile. */
  readonly clientsCpuSeconds: number
}

/** The pushes of every member of `album`, encoded up front. */
const encodeAlbum = (album: Album): EncodedPush[][] => album.members.map((member) => encodePushes(album.owner.id, member, PER_PUSH))

/**
 * Runs `clients` (their pushes) against `follower` in a clients process of
 * their own (follower-clients.ts), the first `libp2pClients` over libp2p and
 * the rest over HTTP, while this process watches the follower.
 */
export async function runPhase (clients: readonly EncodedPush[][], follower: FollowerProcess, libp2pClients: number, sequential = false): Promise<PhaseResult> {
  const dir = await mkdtemp(join(tmpdir(), 'threads-bench-clients-'))
  try {
    const input: ClientsInput = { httpUrl: follower.httpUrl, multiaddr: follower.multiaddr, libp2pClients, limitMs: PHASE_LIMIT_MS, sequential, clients }
    await writeFile(join(dir, 'input.cbor'), dagCbor.encode(input))
    const child = spawn(process.execPath, ['bench/follower-clients.ts', join(dir, 'input.cbor'), join(dir, 'output.json')], { stdio: ['pipe', 'pipe', 'inherit'] })
    const exited = once(child, 'exit')
    let printed = ''
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => { printed += chunk.toString(); if (printed.includes('ready')) resolve() })
      void exited.then(() => { reject(new Error(`the clients process ended before it was ready: ${printed}`)) })
    })
    const watcher = watch(follower)
    child.stdin!.end('go\n')
    const [code] = await exited as [number | null]
    const watched = await watcher.stop()
    if (code !== 0) throw new Error(`the clients process ended with ${code}: ${printed}`)
    const { seconds, cpuSeconds: clientsCpuSeconds, clients: results } = readClientsOutput(JSON.parse(await readFile(join(dir, 'output.json'), 'utf8')) as ClientsOutput)
    return { seconds, clients: results, watched, clientsCpuSeconds }
  } finally {
    await rm(dir, { recursive: true, force: true })
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
  console.log(`\nFollower under load (a follower process on disk, durable; ${clients} members of one album, ${recordsEach} records each after its join, ${PER_PUSH} a push; made in ${((performance.now() - setup) / 1000).toFixed(1)} s)`)

  const pushes = encodeAlbum(album)
  // Baseline: the pushes of ten members one client at a time (HTTP), so nothing shares a sync.
  const baseline = await withFollower(loopbackFlags(clients), async (follower) => {
    await seedFollower(album, follower)
    const sample = await runPhase(pushes.slice(0, 10), follower, 0, true)
    return sample.clients.reduce((sum, c) => sum + c.pushed, 0) / sample.seconds
  })

  const loadBefore = loadavg()[0]!
  // The follower's own limit of requests served at once: beyond it, a push is refused at once and sent again after Retry-After.
  const phase = await withFollower(loopbackFlags(clients), async (follower) => {
    await seedFollower(album, follower)
    return await runPhase(pushes, follower, clients / 2)
  })
  const pushed = phase.clients.reduce((sum, c) => sum + c.pushed, 0)
  const perSecond = pushed / phase.seconds
  const latencies = phase.clients.flatMap((c) => c.latencies)
  const acknowledged = phase.clients.flatMap((c) => c.acknowledged)
  const p99 = quantile(latencies, 0.99)
  const rateOk = perSecond >= 2000 && pushed === records
  const p99Ok = p99 <= 500
  const rssOk = phase.watched.maxRssMb <= 300
  console.log(`${clients} clients (${clients / 2} HTTP, ${clients / 2} libp2p, in a process of their own, pushes encoded up front): ${pushed.toLocaleString('en')} of ${records.toLocaleString('en')} records in ${phase.seconds.toFixed(1)} s; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`)
  console.log(`  records/s ${perSecond.toFixed(0).padStart(8)}   one client at a time: ${baseline.toFixed(0)}/s   (goal ≥ 2,000/s) ${rateOk ? 'ok' : 'BELOW GOAL'}`)
  console.log(`    at full strength (from 10 % to 90 % of the records acknowledged): ${sustainedRate(phase.clients).toFixed(0)}/s; the first tenth brings every member's first push with its join`)
  const refused = phase.clients.reduce((sum, c) => sum + [...c.refusals.values()].reduce((a, b) => a + b, 0), 0)
  console.log(`  push latency p50 ${quantile(latencies, 0.5).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms over ${latencies.length} pushes served, beside ${refused} attempts refused for load (each sent again after Retry-After)   (goal p99 ≤ 500 ms) ${p99Ok ? 'ok' : 'ABOVE GOAL'}`)
  const byTransport = (from: number, to: number): string => { const l = phase.clients.slice(from, to).flatMap((c) => c.latencies); return `p50 ${quantile(l, 0.5).toFixed(0)} ms, p99 ${quantile(l, 0.99).toFixed(0)} ms` }
  console.log(`    over libp2p (sync sessions) ${byTransport(0, clients / 2)}; over HTTP ${byTransport(clients / 2, clients)}`)
  const firsts = phase.clients.flatMap((c) => c.latencies.slice(0, 1))
  const laters = phase.clients.flatMap((c) => c.latencies.slice(1))
  console.log(`    each client's first push (the crowd arriving at once) p50 ${quantile(firsts, 0.5).toFixed(0)} ms, p99 ${quantile(firsts, 0.99).toFixed(0)} ms; the pushes after it p50 ${quantile(laters, 0.5).toFixed(0)} ms, p99 ${quantile(laters, 0.99).toFixed(0)} ms`)
  console.log(`  from a push's first attempt to its acknowledgement (waits after refusals included): p50 ${quantile(acknowledged, 0.5).toFixed(0)} ms, p99 ${quantile(acknowledged, 0.99).toFixed(0)} ms`)
  console.log(`  follower CPU ${phase.watched.cpuSeconds.toFixed(1)} s: ${(phase.watched.cpuSeconds * 1e6 / pushed).toFixed(0)} µs a record, so ${(pushed / phase.watched.cpuSeconds).toFixed(0)} records/s on one free core; the clients process used ${phase.clientsCpuSeconds.toFixed(1)} s`)
  console.log(`  follower RSS at most ${phase.watched.maxRssMb.toFixed(0)} MB   (goal ≤ 300 MB) ${rssOk ? 'ok' : 'ABOVE GOAL'}; /health p50 ${phase.watched.healthP50Ms.toFixed(0)} ms, slowest ${phase.watched.healthMaxMs.toFixed(0)} ms`)
  console.log(`  refused for load: ${tally(phase.clients, 'refusals')}; other failures: ${tally(phase.clients, 'failures')}`)
  results.push(rateOk, p99Ok, rssOk)
  await album.db.close()

  setup = performance.now()
  const crowdAlbum = await makeAlbum(crowd, 5)
  console.log(`\n${crowd.toLocaleString('en')} clients (${(crowd - clients / 2).toLocaleString('en')} HTTP, ${clients / 2} libp2p), 5 records each, the follower's default request limits (made in ${((performance.now() - setup) / 1000).toFixed(1)} s)`)
  const crowdLoad = loadavg()[0]!
  const crowdPhase = await withFollower(loopbackFlags(crowd), async (follower) => {
    await seedFollower(crowdAlbum, follower)
    return await runPhase(encodeAlbum(crowdAlbum), follower, clients / 2)
  })
  const refusals = crowdPhase.clients.reduce((sum, c) => sum + [...c.refusals.values()].reduce((a, b) => a + b, 0), 0)
  const served = crowdPhase.clients.filter((c) => c.latencies.length > 0).length
  const crowdPushed = crowdPhase.clients.reduce((sum, c) => sum + c.pushed, 0)
  const healthOk = crowdPhase.watched.healthMaxMs <= 1000 && crowdPhase.watched.healthFailures === 0
  const refusedOk = refusals > 0 && served > 0
  console.log(`  ${crowdPushed.toLocaleString('en')} records acknowledged in ${crowdPhase.seconds.toFixed(1)} s (${(crowdPushed / crowdPhase.seconds).toFixed(0)}/s); ${served} clients served; refused for load: ${tally(crowdPhase.clients, 'refusals')}; other failures: ${tally(crowdPhase.clients, 'failures')}   ${refusedOk ? 'ok' : 'NOT AS EXPECTED'}`)
  console.log(`  /health p50 ${crowdPhase.watched.healthP50Ms.toFixed(0)} ms, slowest ${crowdPhase.watched.healthMaxMs.toFixed(0)} ms, ${crowdPhase.watched.healthFailures} unanswered   (goal ≤ 1,000 ms throughout) ${healthOk ? 'ok' : 'ABOVE GOAL'}; follower RSS at most ${crowdPhase.watched.maxRssMb.toFixed(0)} MB, CPU ${crowdPhase.watched.cpuSeconds.toFixed(1)} s (clients ${crowdPhase.clientsCpuSeconds.toFixed(1)} s); load average ${crowdLoad.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`)
  results.push(refusedOk, healthOk)
  await crowdAlbum.db.close()

  results.push(await benchManyThreads())
  return !results.includes(false)
}
