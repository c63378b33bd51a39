/** The log-store contract against the IndexedDB backend, in real headless Chromium. */
import { deleteDB } from 'idb'
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
