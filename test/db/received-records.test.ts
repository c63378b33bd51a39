/**
 * Received records are verified and opened before their turn; one whose event
 * does not open is refused in its turn like any other, and nothing of it is
 * stored or applied.
 */
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'

describe('received records', () => {
  it('refuses a record whose event does not open with the read key held, storing and applying nothing', async () => {
    const writer = openDatabase({ backend: createMemoryBackend() })
    const source = await writer.createThread()
    await source.collection('photos').create({ _id: 'p0' })
    await source.collection('photos').create({ _id: 'p1' })
    const records = await source.exportRecords()
    const grant = source.ownGrant()

    const reader = openDatabase({ backend: createMemoryBackend() })
    const thread = await reader.joinThread({ id: source.id, logs: [{ ...grant, readKey: grant.readKey.map((x) => x ^ 1) }] })
    const outcomes = await thread.ingestMany(records)
    expect(outcomes.map((o) => o instanceof Error ? o.name : o.status)).toEqual(['DecryptError', 'MissingDependencyError'])
    expect(await thread.heads()).toEqual([])
    expect(thread.collection('photos').find({})).toEqual([])
    // The same records with the right key are stored and applied.
    const good = await (openDatabase({ backend: createMemoryBackend() })).joinThread({ id: source.id, logs: [grant] })
    expect((await good.ingestMany(records)).map((o) => o instanceof Error ? o.name : o.status)).toEqual(['stored', 'stored'])
    expect(good.collection('photos').find({}).length).toBe(2)
    await writer.close()
    await reader.close()
  })
})
