/**
 * Group commit pipelining: over storage that applies a batch before it syncs
 * (as LMDB does), the database prepares and applies the next group of
 * commands while the one before it syncs, yet answers no command, and shows
 * none of its changes, before its own group is durable; a group whose sync
 * fails fails its commands alone, and everything acknowledged is stored.
 */
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import type { StorageBackend } from '../../src/core/storage/interfaces.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'
import { deliver } from './replicas.ts'

/** Memory storage whose commitApplied syncs only when the test says so: each applied write waits at its own gate. */
function gatedBackend (): { backend: StorageBackend, stored: StorageBackend, gates: Array<{ open: () => void, fail: (error: Error) => void }> } {
  const stored = createMemoryBackend()
  const gates: Array<{ open: () => void, fail: (error: Error) => void }> = []
  const backend: StorageBackend = {
    ...stored,
    async commitApplied (blocks, operations, options) {
      await stored.blocks.putMany(blocks, options)
      await stored.meta.batch(operations, options)
      const synced = new Promise<void>((resolve, reject) => { gates.push({ open: resolve, fail: reject }) })
      // Awaited by the database; a failed sync must not count as unhandled before it is.
      synced.catch(() => undefined)
      return { synced }
    },
    async close () {}
  }
  return { backend, stored, gates }
}

class SyncFailedError extends Error {
  override readonly name = 'SyncFailedError'
}

describe('group commit pipelining', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('applies the next group while one syncs, and answers and shows each group only once it is durable', async () => {
    const { backend, stored, gates } = gatedBackend()
    const db = openDatabase({ backend })
    const thread = await db.createThread({ name: 'pipelined' })
    const docs = thread.collection('docs')
    const answered = new Set<number>()
    const failed = new Map<number, string>()
    const writes = Array.from({ length: 100 }, async (_, i) => {
      await docs.create({ _id: `d${i}`, n: i }).then(() => answered.add(i), (error: Error) => failed.set(i, error.name))
    })

    // The commands are split in two groups; the second is written while the first still waits for its
    // sync: nothing is answered or shown yet.
    await expect.poll(() => gates.length, { timeout: 30_000 }).toBe(2)
    expect(answered.size).toBe(0)
    expect(docs.find({})).toEqual([])

    // The first group's sync completes: its commands, and only they, are answered and shown.
    gates[0]!.open()
    await expect.poll(() => answered.size, { timeout: 30_000 }).toBeGreaterThan(0)
    const first = [...answered]
    expect(docs.find({}).map((doc) => doc.n).sort()).toEqual(first.sort())
    expect(first.length).toBeLessThan(100)

    // The second group's sync fails: its commands fail with it, and later groups are still answered once synced.
    gates[1]!.fail(new SyncFailedError('the disk refused the sync'))
    await expect.poll(() => failed.size, { timeout: 30_000 }).toBeGreaterThan(0)
    expect([...failed.values()].every((name) => name === 'SyncFailedError')).toBe(true)
    for (const gate of gates.slice(2)) gate.open()
    await Promise.all(writes)
    expect(answered.size + failed.size).toBe(100)
    for (const i of answered) expect(docs.get(`d${i}`)?.n).toBe(i)

    // Every acknowledged document is in storage, as a database reopened over it shows.
    const reopened = await openDatabase({ backend: stored }).openThread(thread.id)
    for (const i of answered) expect(reopened.collection('docs').get(`d${i}`)?.n).toBe(i)
    await db.close()
  })

  it('writes no group built on one that failed to apply: its commands fail too, and the log goes on from what is stored', async () => {
    const stored = createMemoryBackend()
    let failNext: ((error: Error) => void) | undefined
    let writes = 0
    const backend: StorageBackend = {
      ...stored,
      async commitApplied (blocks, operations, options) {
        writes++
        // The first group's write is held, then refused, while the second is prepared after it.
        if (writes === 1) await new Promise<void>((resolve, reject) => { failNext = reject })
        await stored.blocks.putMany(blocks, options)
        await stored.meta.batch(operations, options)
        return { synced: Promise.resolve() }
      },
      async close () {}
    }
    const db = openDatabase({ backend })
    const thread = await db.createThread({ name: 'refused' })
    const docs = thread.collection('docs')
    const outcomes = Array.from({ length: 40 }, async (_, i) => await docs.create({ _id: `d${i}` }).then(() => 'stored', (error: Error) => error.name))
    await expect.poll(() => failNext !== undefined, { timeout: 30_000 }).toBe(true)
    failNext!(new SyncFailedError('the disk refused the write'))
    expect(await Promise.all(outcomes)).toEqual(Array.from({ length: 40 }, () => 'SyncFailedError'))
    expect(writes).toBe(1)
    expect(docs.find({})).toEqual([])

    // The next write follows the stored head, and a replica opened over the storage verifies the whole log.
    await docs.create({ _id: 'after' })
    const reader = openDatabase({ backend: createMemoryBackend() })
    const joined = await reader.acceptInvite(await thread.invite({ role: 'read' }))
    expect(await deliver(joined, await thread.exportRecords())).toEqual([])
    expect(joined.collection('docs').find({}).map((doc) => doc._id)).toEqual(['after'])
    await db.close()
    await reader.close()
  })
})
