/**
 * The storage contract suite: every StorageBackend (memory, files, IndexedDB) runs
 * these same tests, so the guarantees written in src/core/storage/interfaces.ts are
 * checked against each implementation, IndexedDB in a real browser included.
 */
import { describe } from 'vitest'
import { runBlockContractTests } from './block-contract.ts'
import { runKeyValueContractTests } from './key-value-contract.ts'
import type { StorageContractSetup } from './contract-helpers.ts'

export type { StorageContractSetup, StorageContractSubject } from './contract-helpers.ts'

/**
 * Registers the full storage contract for one implementation.
 * @param name - shown in the test report, e.g. 'memory' or 'IndexedDB'
 * @param setup - opens a fresh, empty backend for each test; `reopen` (optional)
 *   opens the same data again after the suite closed it; `cleanup` removes leftovers.
 * @example
 * runStorageContractTests('memory', async () => ({ backend: createMemoryBackend() }))
 */
export function runStorageContractTests (name: string, setup: StorageContractSetup): void {
  describe(`storage contract: ${name}`, () => {
    runKeyValueContractTests(setup)
    runBlockContractTests(setup)
  })
}
