/** The log-store contract against the in-memory and file backends (IndexedDB runs in test/browser). */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openFileBackend } from '../../src/adapters/node/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { runLogStoreContractTests } from '../contracts/log-store-contract.ts'

runLogStoreContractTests('memory', async () => ({ backend: createMemoryBackend() }))

runLogStoreContractTests('files', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'threads-log-store-'))
  const backend = await openFileBackend({ directory })
  return {
    backend,
    reopen: async () => {
      await backend.close()
      return await openFileBackend({ directory })
    },
    cleanup: async () => { await rm(directory, { recursive: true, force: true }) }
  }
})
