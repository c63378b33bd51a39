/** The in-memory backend against the storage contract, plus what only it promises. */
import { describe, expect, it } from 'vitest'
import { StoreClosedError } from '../../src/core/errors.ts'
import { createMemoryBackend, createMemoryBlockStore, createMemoryKeyValueStore } from '../../src/core/storage/memory.ts'
import { runStorageContractTests } from '../contracts/storage-contract.ts'

runStorageContractTests('memory', async () => ({ backend: createMemoryBackend() }))

describe('memory stores on their own', () => {
  it('close independently of each other', async () => {
    const meta = createMemoryKeyValueStore()
    const blocks = createMemoryBlockStore()
    await meta.close()
    await expect(meta.has('k')).rejects.toBeInstanceOf(StoreClosedError)
    await expect(blocks.has('k')).resolves.toBe(false)
  })

  it('do not share data between instances', async () => {
    const first = createMemoryBackend()
    const second = createMemoryBackend()
    await first.meta.batch([{ type: 'put', key: 'k', value: Uint8Array.of(1) }])
    expect(await second.meta.has('k')).toBe(false)
  })
})
