/**
 * Durability of the Node database on LMDB and on SQLite against a real process: a writer
 * (test/helpers/db-writer-process.ts) writes documents through the database
 * API and says each one as soon as its write resolves; it is killed with
 * SIGKILL at a random point, then the database is reopened here. Every
 * document whose write had resolved must be there, with its body, whether
 * writes were awaited one at a time or many were in flight (group commit),
 * and on LMDB also without fsync (a commit reaches the OS before it resolves).
 * Five rounds continue the same thread. The seed is printed in failure
 * messages and can be replayed with CRASH_SEED.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { openLmdbBackend, openSqliteBackend } from '../../src/adapters/node/index.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { seededRng } from '../helpers/seeded.ts'

const ROUNDS = 5
/** Each writer's backend, opened again here (durable) to read what it left. */
const BACKENDS = { lmdb: openLmdbBackend, 'lmdb-not-durable': openLmdbBackend, sqlite: openSqliteBackend }
type Kind = keyof typeof BACKENDS
const START_TIMEOUT_MS = 60_000

/** Runs the writer until it has acknowledged `acknowledge` writes, kills it, and returns the thread and every acknowledged ID. */
async function writeAndKill (kind: Kind, directory: string, thread: string | undefined, inFlight: number, acknowledge: number): Promise<{ thread: string, acknowledged: string[] }> {
  const child = spawn(process.execPath, ['test/helpers/db-writer-process.ts', directory, thread ?? '-', String(inFlight), kind], { stdio: ['ignore', 'pipe', 'pipe'] })
  const acknowledged: string[] = []
  let opened = thread
  let output = ''
  let errors = ''
  child.stderr!.on('data', (chunk: Buffer) => { errors += chunk.toString() })
  const exited = once(child, 'exit')
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the writer acknowledged ${acknowledged.length} of ${acknowledge} writes in ${START_TIMEOUT_MS} ms:\n${errors}`)), START_TIMEOUT_MS)
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const lines = output.split('\n')
      output = lines.pop()!
      for (const line of lines) {
        if (line.startsWith('thread ')) opened = line.slice('thread '.length)
        if (line.startsWith('wrote ')) acknowledged.push(line.slice('wrote '.length))
      }
      if (acknowledged.length >= acknowledge && child.exitCode === null) {
        // Killed at once, mid-stream: writes after the last one read here may be in flight.
        child.kill('SIGKILL')
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => { clearTimeout(timer); if (acknowledged.length < acknowledge) reject(new Error(`the writer exited with ${code}:\n${errors}`)) })
  })
  await exited
  return { thread: opened!, acknowledged }
}

describe.each(Object.keys(BACKENDS) as Kind[])('the Node database on %s, killed with SIGKILL', (kind) => {
  const cleanup = cleanupAfterAll()
  const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))

  for (const inFlight of [1, 50]) {
    it(`keeps every document whose write resolved (${inFlight} in flight; seed ${seed})`, async () => {
      const rng = seededRng(seed + inFlight)
      const directory = await tempDir('threads-lmdb-crash-', cleanup)
      let thread: string | undefined
      const written: string[] = []
      for (let round = 0; round < ROUNDS; round++) {
        const run = await writeAndKill(kind, directory, thread, inFlight, 5 + rng.int(inFlight * 4))
        thread = run.thread
        written.push(...run.acknowledged)
        const db = openDatabase({ backend: await BACKENDS[kind]({ directory }) })
        try {
          const docs = (await db.openThread(thread)).collection('docs')
          const missing = written.filter((id) => docs.get(id)?.body !== 'x'.repeat(500))
          expect(missing, `seed ${seed}, round ${round}: acknowledged documents lost`).toEqual([])
        } finally {
          await db.close()
        }
      }
    }, ROUNDS * 2 * START_TIMEOUT_MS)
  }
})
