/** The log-store contract against the IndexedDB backend, in real headless Chromium. */
import { deleteDB } from 'idb'
import { describe, expect, it } from 'vitest'
import { openIdbBackend } from '../../src/adapters/idb/index.ts'
import { runLogStoreContractTests } from '../contracts/log-store-contract.ts'

runLogStoreContractTests('IndexedDB', async () => {
  const name = `threads-log-store-${crypto.randomUUID()}`
  const backend = await openIdbBackend({ name })
  return {
    backend,
    reopen: async () => {
      await backend.close()
      return await openIdbBackend({ name })
    },
    cleanup: async () => { await deleteDB(name) }
  }
})

describe('IndexedDB commit of blocks and meta together', () => {
  it('stores both in one transaction, or neither when any part fails', async () => {
    const name = `threads-commit-${crypto.randomUUID()}`
    const backend = await openIdbBackend({ name })
    try {
      const block = { cid: 'bafyreiexampleblock', bytes: new Uint8Array([1, 2, 3]) }
      await backend.commit!([block], [{ type: 'put', key: 'k', value: new Uint8Array([9]) }])
      expect(await backend.blocks.get(block.cid)).toEqual(block.bytes)
      expect(await backend.meta.get('k')).toEqual(new Uint8Array([9]))
      const other = { cid: 'bafyreiotherblock', bytes: new Uint8Array([4]) }
      const bad = [{ type: 'put', key: 'x', value: 'not bytes' }] as unknown as Parameters<NonNullable<typeof backend.commit>>[1]
      await expect(backend.commit!([other], bad)).rejects.toThrow()
      expect(await backend.blocks.has(other.cid)).toBe(false)
      expect(await backend.meta.has('x')).toBe(false)
    } finally {
      await backend.close()
      await deleteDB(name)
    }
  })
})
