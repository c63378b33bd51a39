/** The database API suite in Node, over memory, files and LMDB (where commands are committed in pipelined groups). */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { openFileBackend, openLmdbBackend } from '../../src/adapters/node/index.ts'
import type { StorageBackend } from '../../src/core/storage/interfaces.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { apiCases, type CaseStorage } from './api-cases.ts'

describe('database API over memory', () => {
  for (const c of apiCases) it(c.name, async () => { await c.run(async () => ({ backend: createMemoryBackend() })) })
})

/** The suite over a backend opened on a fresh directory, reopened there when a case asks. */
function onDisk (name: string, open: (directory: string) => Promise<StorageBackend>): void {
  describe(`database API over ${name}`, () => {
    const dirs: string[] = []
    afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })
    const fresh = async (): Promise<CaseStorage> => {
      const directory = await mkdtemp(join(tmpdir(), 'threads-db-'))
      dirs.push(directory)
      return { backend: await open(directory), reopen: async () => await open(directory) }
    }
    for (const c of apiCases) it(c.name, async () => { await c.run(fresh) })
  })
}

onDisk('files', async (directory) => await openFileBackend({ directory }))
onDisk('LMDB', async (directory) => await openLmdbBackend({ directory }))
