/**
 * Carrying a file store over into LMDB: every block and key arrives, the old
 * directory is moved aside only once everything is copied, a copy interrupted
 * before that runs again to the same result, and without a file store nothing happens.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrateFileStore, openFileBackend, openLmdbBackend } from '../../src/adapters/node/index.ts'
import type { RawBlock, StorageBackend } from '../../src/core/storage/interfaces.ts'
import { collect, makeBlock } from '../contracts/contract-helpers.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('migrating a file store into LMDB', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  let root: string
  let target: StorageBackend
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'threads-migrate-'))
    target = await openLmdbBackend({ directory: join(root, 'lmdb') })
  })
  afterEach(async () => {
    try { await target.close() } finally { await rm(root, { recursive: true, force: true }) }
  })

  /** A file store holding 600 blocks (more than one chunk) and 300 keys, some non-ASCII. */
  const fillFileStore = async (): Promise<{ blocks: RawBlock[], entries: Array<readonly [string, Uint8Array]> }> => {
    const source = await openFileBackend({ directory: join(root, 'store') })
    const blocks = await Promise.all(Array.from({ length: 600 }, async (_, i) => await makeBlock(bytes(`block ${i}`))))
    const entries = Array.from({ length: 300 }, (_, i) => [`heads/${i}/ключ😀`, bytes(`value ${i}`)] as const)
    await source.commit!(blocks, entries.map(([key, value]) => ({ type: 'put', key, value })))
    await source.close()
    return { blocks, entries: [...entries].sort(([a], [b]) => (a < b ? -1 : 1)) }
  }

  it('copies every block and key, then moves the old store aside', async () => {
    const { blocks, entries } = await fillFileStore()
    const migrated = await migrateFileStore({ from: join(root, 'store'), to: target })
    expect(migrated).toMatchObject({ blocks: 600, keys: 300 })
    for (const block of blocks) expect(await target.blocks.get(block.cid)).toEqual(block.bytes)
    expect(await collect(target.meta.list(''))).toEqual(entries)
    expect((await readdir(root)).sort()).toEqual(['lmdb', migrated!.movedTo.split('/').pop()])
    // Done once: the next start finds no file store.
    expect(await migrateFileStore({ from: join(root, 'store'), to: target })).toBeUndefined()
  })

  it('runs again to the same result after a copy that stopped before the move', async () => {
    const { blocks, entries } = await fillFileStore()
    // The first attempt fails part-way: its target refuses the second chunk of blocks.
    let calls = 0
    const failing: StorageBackend = {
      ...target,
      blocks: { ...target.blocks, putMany: async (input) => { if (++calls > 1) throw new Error('disk full'); await target.blocks.putMany(input) } }
    }
    await expect(migrateFileStore({ from: join(root, 'store'), to: failing })).rejects.toThrow('disk full')
    expect(await readdir(root)).toContain('store')
    expect(await migrateFileStore({ from: join(root, 'store'), to: target })).toMatchObject({ blocks: 600, keys: 300 })
    for (const block of blocks) expect(await target.blocks.get(block.cid)).toEqual(block.bytes)
    expect(await collect(target.meta.list(''))).toEqual(entries)
  })

  it('does nothing where there is no file store', async () => {
    expect(await migrateFileStore({ from: join(root, 'store'), to: target })).toBeUndefined()
    expect(await collect(target.meta.list(''))).toEqual([])
  })
})
