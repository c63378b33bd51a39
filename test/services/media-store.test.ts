/**
 * A device's own originals, marked as it adds them: photos added together are
 * marked in one metadata write, and every mark is there after a restart
 * (a new media store over the same storage), so none of them is evicted.
 */
import { describe, expect, it } from 'vitest'
import { encryptMedia } from '../../src/core/media/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { createMediaStore } from '../../src/services/media-store.ts'
import { memoryMediaBlocks } from '../helpers/memory-media.ts'

describe('own originals', () => {
  it('marks the originals of photos added together in one write, all still marked after a restart', async () => {
    const { meta } = createMemoryBackend()
    const batches: number[] = []
    const batch = meta.batch.bind(meta)
    meta.batch = async (ops) => { batches.push(ops.length); await batch(ops) }
    const blocks = memoryMediaBlocks()
    const refs = await Promise.all(Array.from({ length: 6 }, async (_, i) => {
      const bytes = new Uint8Array(5_000 + i).fill(i)
      return await encryptMedia([bytes], { size: bytes.length, type: 'image/jpeg', put: async (block) => { await blocks.blocks.put(block) } })
    }))
    const store = createMediaStore({ blocks: blocks.blocks, meta })
    await Promise.all(refs.map(async (ref) => { await store.markOwn('album', ref) }))
    // One write: each original recorded under its root and under its album.
    expect(batches).toEqual([12])
    const restarted = createMediaStore({ blocks: blocks.blocks, meta, estimate: async () => ({ usage: 100, quota: 100 }) })
    for (const ref of refs) expect(await restarted.holds(ref)).toBe(true)
    expect(await restarted.evict()).toBe(0) // own originals are never evicted
  })
})
