/**
 * When snapshots are written: after `snapshotEvery` applied events, once the
 * database has been idle for a moment, not in the middle of a burst of
 * received records.
 */
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

describe('snapshot timing', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('waits for a burst of received batches to end and the database to be idle, then writes one snapshot covering them all', async () => {
    const writer = openDatabase({ backend: createMemoryBackend() })
    const source = await writer.createThread()
    await Promise.all(Array.from({ length: 40 }, async (_, i) => await source.collection('photos').create({ _id: `p${i}` })))
    const records = await source.exportRecords()

    const backend = createMemoryBackend()
    const snapshots: number[] = []
    const batch = backend.meta.batch.bind(backend.meta)
    backend.meta.batch = async (operations, options) => {
      if (operations.some((op) => op.key.startsWith('snapshot/') && op.key.endsWith('/header'))) snapshots.push(operations.length)
      await batch(operations, options)
    }
    const reader = openDatabase({ backend, snapshotEvery: 10 })
    const thread = await reader.acceptInvite(await source.invite({ role: 'admin' }))
    // The first batch's turn starts and waits for its keys; the other three are queued meanwhile.
    let open = (): void => {}
    const gate = new Promise<void>((resolve) => { open = resolve })
    const list = backend.meta.list.bind(backend.meta)
    backend.meta.list = async function * (prefix, options) {
      if (prefix.startsWith('epoch/')) await gate
      yield * list(prefix, options)
    }
    // The genesis and 10 photos, then 30 more.
    const first = thread.ingestMany(records.slice(0, 11))
    await new Promise((resolve) => setTimeout(resolve, 0))
    const rest = [11, 21, 31].map(async (from) => await thread.ingestMany(records.slice(from, from + 10)))
    open()
    await Promise.all([first, ...rest])
    // None while the burst was being applied; one once the database has been idle for a moment.
    expect(snapshots).toHaveLength(0)
    await expect.poll(() => snapshots.length, { timeout: 10_000 }).toBe(1)
    await thread.rebuild('snapshot')
    expect(thread.collection('photos').find({}).length).toBe(40)
    await writer.close()
    await reader.close()
  })
})
