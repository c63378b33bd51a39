/**
 * Carrying an LMDB store over into SQLite: every block and key arrives (more than
 * one chunk of each), the old directory is moved aside only once everything is
 * copied, a copy interrupted before that runs again to the same result, and without
 * an LMDB store nothing happens.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrateLmdbStore, openLmdbBackend, openSqliteBackend } from '../../src/adapters/node/index.ts'
import type { RawBlock, StorageBackend } from '../../src/core/storage/interfaces.ts'
import { collect, makeBlock } from '../contracts/contract-helpers.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('migrating an LMDB store into SQLite', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  let root: string
  let target: StorageBackend
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'threads-migrate-lmdb-'))
    target = await openSqliteBackend({ directory: join(root, 'records') })
  })
  afterEach(async () => {
    try { await target.close() } finally { await rm(root, { recursive: true, force: true }) }
  })

  /** An LMDB store holding 600 blocks and 300 keys, some non-ASCII, the empty key among them. */
  const fillLmdbStore = async (): Promise<{ blocks: RawBlock[], entries: Array<readonly [string, Uint8Array]> }> => {
    const source = await openLmdbBackend({ directory: join(root, 'lmdb') })
    const blocks = await Promise.all(Array.from({ length: 600 }, async (_, i) => await makeBlock(bytes(`block ${i}`))))
    const entries = [...Array.from({ length: 299 }, (_, i) => [`heads/${i}/ключ😀`, bytes(`value ${i}`)] as const), ['', bytes('empty')] as const]
    await source.commit!(blocks, entries.map(([key, value]) => ({ type: 'put', key, value })))
    await source.close()
    return { blocks, entries: [...entries].sort(([a], [b]) => (a < b ? -1 : 1)) }
  }

  it('copies every block and key, then moves the old store aside', async () => {
    const { blocks, entries } = await fillLmdbStore()
    const migrated = await migrateLmdbStore({ from: join(root, 'lmdb'), to: target })
    expect(migrated).toMatchObject({ blocks: 600, keys: 300 })
    for (const block of blocks) expect(await target.blocks.get(block.cid)).toEqual(block.bytes)
    expect(await collect(target.meta.list(''))).toEqual(entries)
    expect((await readdir(root)).sort()).toEqual([migrated!.movedTo.split('/').pop(), 'records'])
    // Done once: the next start finds no LMDB store.
    expect(await migrateLmdbStore({ from: join(root, 'lmdb'), to: target })).toBeUndefined()
  })

  it('runs again to the same result after a copy that stopped before the move', async () => {
    const { blocks, entries } = await fillLmdbStore()
    let calls = 0
    const failing: StorageBackend = {
      ...target,
      blocks: { ...target.blocks, putMany: async (input) => { if (++calls > 1) throw new Error('disk full'); await target.blocks.putMany(input) } }
    }
    await expect(migrateLmdbStore({ from: join(root, 'lmdb'), to: failing })).rejects.toThrow('disk full')
    expect(await readdir(root)).toContain('lmdb')
    expect(await migrateLmdbStore({ from: join(root, 'lmdb'), to: target })).toMatchObject({ blocks: 600, keys: 300 })
    for (const block of blocks) expect(await target.blocks.get(block.cid)).toEqual(block.bytes)
    expect(await collect(target.meta.list(''))).toEqual(entries)
  })

  it('does nothing without an LMDB store', async () => {
    expect(await migrateLmdbStore({ from: join(root, 'lmdb'), to: target })).toBeUndefined()
    expect(await readdir(root)).toEqual(['records'])
  })
})
