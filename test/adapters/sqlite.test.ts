/**
 * The SQLite backend against the storage contract and the cases of every Node
 * backend, plus what only it promises: reads leave none of the database file
 * mapped into the process.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { openSqliteBackend, SQLITE_FILE } from '../../src/adapters/node/sqlite-backend.ts'
import { residentBytesOf } from '../../bench/mapped-residency.ts'
import { makeBlock } from '../contracts/contract-helpers.ts'
import { runStorageContractTests } from '../contracts/storage-contract.ts'
import { runNodeBackendTests } from './node-backend-cases.ts'

for (const durable of [true, false]) {
  runStorageContractTests(`SQLite${durable ? '' : ' (not durable)'}`, async () => {
    const directory = await mkdtemp(join(tmpdir(), 'threads-sqlite-'))
    return {
      backend: await openSqliteBackend({ directory, durable }),
      reopen: async () => await openSqliteBackend({ directory, durable }),
      cleanup: async () => { await rm(directory, { recursive: true, force: true }) }
    }
  })
}

runNodeBackendTests('SQLite', async (directory) => await openSqliteBackend({ directory }), (under) => {
  it('reads blocks without mapping the database file into the process', async () => {
    const blocks = await Promise.all(Array.from({ length: 200 }, async (_, i) => await makeBlock(new TextEncoder().encode(`block ${i} `.repeat(200)))))
    await under.backend().blocks.putMany(blocks)
    await under.reopen()
    for (const block of blocks) expect(await under.backend().blocks.get(block.cid)).toEqual(block.bytes)
    expect(await residentBytesOf(join(under.directory(), SQLITE_FILE))).toBe(0)
  })
})
