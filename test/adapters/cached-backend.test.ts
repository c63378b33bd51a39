/** The cached backend against the storage and log-store contracts, over memory and over files. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openFileBackend } from '../../src/adapters/node/index.ts'
import { createCachedBackend } from '../../src/core/storage/cached-backend.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { runLogStoreContractTests } from '../contracts/log-store-contract.ts'
import { runStorageContractTests } from '../contracts/storage-contract.ts'

runStorageContractTests('cached memory', async () => ({ backend: createCachedBackend(createMemoryBackend(), 1024 * 1024) }))

runStorageContractTests('cached files', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'threads-cached-'))
  return {
    backend: createCachedBackend(await openFileBackend({ directory }), 1024 * 1024),
    reopen: async () => createCachedBackend(await openFileBackend({ directory }), 1024 * 1024),
    cleanup: async () => { await rm(directory, { recursive: true, force: true }) }
  }
})

runLogStoreContractTests('cached files', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'threads-cached-log-'))
  const backend = createCachedBackend(await openFileBackend({ directory }), 1024 * 1024)
  return {
    backend,
    reopen: async () => {
      await backend.close()
      return createCachedBackend(await openFileBackend({ directory }), 1024 * 1024)
    },
    cleanup: async () => { await rm(directory, { recursive: true, force: true }) }
  }
})
