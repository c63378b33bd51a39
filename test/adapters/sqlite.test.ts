/**
 * The SQLite backend against the storage contract and the cases of every Node
 * backend, plus what only it promises: reads leave none of the database file
 * mapped into the process, and its write-ahead log is copied back into the
 * database file once it holds 32 MiB, so it stops growing there.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises'
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

  it('copies its write-ahead log back into the database file as it passes 32 MiB, so the log stops growing there', async () => {
    // 96 MiB of blocks, 256 KiB a commit: three times what the log may hold before it is copied back.
    const chunk = new Uint8Array(16 * 1024)
    for (let commit = 0; commit < 384; commit++) {
      const blocks = await Promise.all(Array.from({ length: 16 }, async (_, i) => { chunk.fill(i); chunk[0] = commit % 256; chunk[1] = commit >> 8; return await makeBlock(chunk.slice()) }))
      await under.backend().blocks.putMany(blocks)
    }
    const log = (await stat(join(under.directory(), `${SQLITE_FILE}-wal`))).size
    const database = (await stat(join(under.directory(), SQLITE_FILE))).size
    // What was copied back (at least twice 32 MiB) is in the database file; the rest is in the log.
    expect(database).toBeGreaterThan(64 * 1024 * 1024)
    // The log may pass 32 MiB by the commit that crossed it (and its pages' headers), no more.
    expect(log).toBeLessThan(34 * 1024 * 1024)
    expect(log).toBeGreaterThan(0)
  })
})
