/**
 * Node writes of 500-byte documents through the database API on disk (the
 * LMDB backend), beside the same writes on in-memory storage in the same run:
 * awaited one at a time without fsync and durable, and durable with 100 in
 * flight (group commit: many records share one durable sync). Rounds
 * alternate the storage kinds so a burst of machine load does not land on
 * one side only; medians are reported, with the CPU time each write cost.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNodeSigner, nodeSha256, openLmdbBackend } from '../src/adapters/node/index.ts'
import { openDatabase } from '../src/core/db/index.ts'
import type { StorageBackend } from '../src/core/storage/interfaces.ts'
import { createMemoryBackend } from '../src/core/storage/memory.ts'
import { median, rate } from './lib.ts'

const ROUNDS = 5
const BODY = 'x'.repeat(500)

/** One case: how many writes, how many in flight, and the goal in writes per second. */
interface Case { readonly name: string, readonly durable: boolean, readonly inFlight: number, readonly writes: number, readonly goal: number }

const CASES: readonly Case[] = [
  { name: 'awaited one at a time, no fsync', durable: false, inFlight: 1, writes: 1000, goal: 1000 },
  { name: 'awaited one at a time, durable', durable: true, inFlight: 1, writes: 500, goal: 500 },
  { name: 'durable, 100 in flight', durable: true, inFlight: 100, writes: 3000, goal: 3000 }
]

/** Writes `writes` documents into a fresh thread on `backend`; the rate and CPU µs per write. */
async function writeDocuments (backend: StorageBackend, inFlight: number, writes: number): Promise<{ rate: number, cpuMicros: number }> {
  // Signed and hashed through node:crypto, as a Node program does (WebCrypto costs about 50 µs more a record).
  const db = openDatabase({ backend, signer: createNodeSigner, sha256: nodeSha256 })
  try {
    const docs = (await db.createThread({ name: 'bench' })).collection('docs')
    await rate(100, inFlight, async (i) => await docs.create({ _id: `warm${i}`, body: BODY }))
    const cpu = process.cpuUsage()
    const measured = await rate(writes, inFlight, async (i) => await docs.create({ _id: `d${i}`, body: BODY }))
    const used = process.cpuUsage(cpu)
    return { rate: measured, cpuMicros: (used.user + used.system) / writes }
  } finally {
    await db.close()
  }
}

async function onDisk (durable: boolean, use: (backend: StorageBackend) => Promise<{ rate: number, cpuMicros: number }>): Promise<{ rate: number, cpuMicros: number }> {
  const directory = await mkdtemp(join(tmpdir(), 'threads-bench-node-db-'))
  try {
    return await use(await openLmdbBackend({ directory, durable }))
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
}

/** Runs the Node database write benchmark; returns whether every goal was met. */
export async function benchNodeDb (): Promise<boolean> {
  const samples = CASES.map(() => ({ disk: [] as number[], memory: [] as number[], diskCpu: [] as number[], memoryCpu: [] as number[] }))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of CASES.entries()) {
      const memoryFirst = round % 2 === 0
      const memory = async (): Promise<void> => {
        const m = await writeDocuments(createMemoryBackend(), c.inFlight, c.writes)
        samples[i]!.memory.push(m.rate); samples[i]!.memoryCpu.push(m.cpuMicros)
      }
      if (memoryFirst) await memory()
      const d = await onDisk(c.durable, async (backend) => await writeDocuments(backend, c.inFlight, c.writes))
      samples[i]!.disk.push(d.rate); samples[i]!.diskCpu.push(d.cpuMicros)
      if (!memoryFirst) await memory()
    }
  }
  console.log(`\nNode database writes of 500-byte documents, LMDB on disk beside in-memory storage (medians of ${ROUNDS} rounds; CPU µs per write)`)
  let ok = true
  for (const [i, c] of CASES.entries()) {
    const s = samples[i]!
    const value = median(s.disk)
    const met = value >= c.goal
    ok &&= met
    console.log(`${c.name.padEnd(36)} LMDB ${value.toFixed(0).padStart(6)}/s (${Math.min(...s.disk).toFixed(0)}–${Math.max(...s.disk).toFixed(0)}; ${median(s.diskCpu).toFixed(0)} µs CPU)   in memory ${median(s.memory).toFixed(0).padStart(6)}/s (${median(s.memoryCpu).toFixed(0)} µs CPU)   goal ≥ ${c.goal}/s ${met ? 'ok' : 'BELOW GOAL'}`)
  }
  return ok
}
