/**
 * Crash safety of the follower's storage, against a real process: three writers
 * push records over HTTP while the follower is killed with SIGKILL at a random
 * point of the pushes, ten times, restarting it each time. Whatever the follower
 * acknowledged in a `pushed` answer must still be held after every restart, as
 * its heads and a full pull show: an answer is only sent once the records are on disk.
 * The seed is printed in every failure message and can be replayed with CRASH_SEED.
 */
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { PullProof } from '../../src/core/sync/pull-proof.ts'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import type { SyncTransport } from '../../src/core/sync/engine.ts'
import type { RecordEnvelope } from '../../src/core/sync/messages.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'
import { seededRng } from '../helpers/seeded.ts'

const ROUNDS = 10
const WRITERS = 3
const RECORDS_PER_WRITER = 150
const RECORDS_PER_PUSH = 4
const REQUEST_TIMEOUT_MS = 60_000

/** One writer's log: its records in order, and how far the follower acknowledged holding them. */
interface Stream {
  readonly thread: string
  readonly log: string
  /** Signs the pull proof the follower asks of a member for heads and pulls. */
  readonly proof: () => Promise<PullProof | undefined>
  readonly records: readonly RecordEnvelope[]
  acknowledged: number
}

/** What the follower holds of a log: the sequence number of its head, 0 for none. */
async function heldSeq (transport: SyncTransport, stream: Stream): Promise<number> {
  const answer = await transport.request({ v: 2, type: 'heads', thread: stream.thread, proof: await stream.proof() }, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
  if (answer.type !== 'heads') throw new Error(`heads answered with ${JSON.stringify(answer)}`)
  return answer.heads.find(head => head.log === stream.log)?.seq ?? 0
}

/** The CIDs of every record of the log the follower serves, pulled page by page. */
async function pulledRecords (transport: SyncTransport, stream: Stream): Promise<string[]> {
  const cids: string[] = []
  for (let page = 0; page < RECORDS_PER_WRITER; page++) {
    const answer = await transport.request(
      { v: 2, type: 'pull', thread: stream.thread, from: [{ log: stream.log, after: cids.length }], limit: 50, proof: await stream.proof() },
      { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    if (answer.type !== 'records') throw new Error(`pull answered with ${JSON.stringify(answer)}`)
    cids.push(...answer.records.filter(record => record.log === stream.log).map(record => record.record))
    if (!answer.more) break
  }
  return cids
}

/**
 * Pushes the stream's records from `from` on, one push at a time, counting each
 * push the follower acknowledged whole; stops at the first failure (the kill).
 */
async function pushUntilFailure (transport: SyncTransport, stream: Stream, from: number, onAcknowledged: () => void): Promise<void> {
  for (let next = from; next < stream.records.length; next += RECORDS_PER_PUSH) {
    const records = stream.records.slice(next, next + RECORDS_PER_PUSH)
    let answer
    try {
      answer = await transport.request({ v: 2, type: 'push', thread: stream.thread, records }, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    } catch {
      return
    }
    if (answer.type !== 'pushed' || answer.rejected.length > 0) throw new Error(`push answered with ${JSON.stringify(answer)}`)
    stream.acknowledged = Math.max(stream.acknowledged, next + records.length)
    onAcknowledged()
  }
}

async function kill (follower: FollowerProcess): Promise<void> {
  if (follower.child.exitCode !== null || follower.child.signalCode !== null) return
  const exited = once(follower.child, 'exit')
  follower.child.kill('SIGKILL')
  await exited
}

describe('follower crash safety', { timeout: 600_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('loses no acknowledged record when killed mid-push ten times', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 32))
    const rng = seededRng(seed)
    const context = `(CRASH_SEED=${seed})`
    const dataDir = await tempDir('threads-crash-', cleanup)
    let follower = await startFollowerProcess(dataDir)
    cleanup(async () => { await kill(follower) })

    // Each writer's records are made up front, so a round only pushes.
    const writer = openDatabase({ backend: createMemoryBackend() })
    const replica = writer.syncReplica()
    const streams: Stream[] = []
    for (let w = 0; w < WRITERS; w++) {
      const thread = await writer.createThread({ name: `Album ${w}` })
      expect((await httpSyncTransport(follower.httpUrl).request(await thread.followRequest())).type).toBe('following')
      const photos = thread.collection('photos')
      while (((await replica.heads(thread.id))[0]?.seq ?? 0) < RECORDS_PER_WRITER) await photos.create({ title: `photo ${w}` })
      const log = (await replica.heads(thread.id))[0]!.log
      const records = await replica.recordsAfter(thread.id, log, 0, RECORDS_PER_WRITER)
      streams.push({ thread: thread.id, log, records, acknowledged: 0, proof: async () => await replica.pullProof!(thread.id, Date.now()) })
    }

    for (let round = 0; round < ROUNDS; round++) {
      const transport = httpSyncTransport(follower.httpUrl)
      // Resume from what the follower holds: it may hold more than it acknowledged.
      const starts = await Promise.all(streams.map(async stream => await heldSeq(transport, stream)))
      // Kill after a random number of acknowledged pushes, while the others are in flight.
      const killAfter = 1 + rng.int(6)
      let acknowledged = 0
      let reached!: () => void
      const killPoint = new Promise<void>(resolve => { reached = resolve })
      const pushing = Promise.all(streams.map(async (stream, i) => {
        await pushUntilFailure(transport, stream, starts[i]!, () => { if (++acknowledged >= killAfter) reached() })
      }))
      await Promise.race([killPoint, pushing])
      await kill(follower)
      await pushing

      follower = await startFollowerProcess(dataDir)
      const after = httpSyncTransport(follower.httpUrl)
      for (const stream of streams) {
        expect(await heldSeq(after, stream), `round ${round} ${context}`).toBeGreaterThanOrEqual(stream.acknowledged)
      }
    }

    // Every record held is the writer's own, in order, with none missing before the head.
    const transport = httpSyncTransport(follower.httpUrl)
    for (const stream of streams) {
      const pulled = await pulledRecords(transport, stream)
      expect(pulled.length, context).toBeGreaterThanOrEqual(stream.acknowledged)
      expect(pulled, context).toEqual(stream.records.slice(0, pulled.length).map(record => record.record))
    }
    // The rounds did push: each one got at least one acknowledgement before its kill.
    expect(streams.reduce((sum, stream) => sum + stream.acknowledged, 0), context).toBeGreaterThanOrEqual(ROUNDS * RECORDS_PER_PUSH)
  })
})
