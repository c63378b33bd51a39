/** The database API suite in Node, over memory and over files. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { openFileBackend } from '../../src/adapters/node/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { apiCases, type CaseStorage } from './api-cases.ts'

describe('database API over memory', () => {
  for (const c of apiCases) it(c.name, async () => { await c.run(async () => ({ backend: createMemoryBackend() })) })
})

describe('database API over files', () => {
  const dirs: string[] = []
  afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })
  const fresh = async (): Promise<CaseStorage> => {
    const directory = await mkdtemp(join(tmpdir(), 'threads-db-'))
    dirs.push(directory)
    return { backend: await openFileBackend({ directory }), reopen: async () => await openFileBackend({ directory }) }
  }
  for (const c of apiCases) it(c.name, async () => { await c.run(fresh) })
})
