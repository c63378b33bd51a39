/**
 * Carrying the follower's old LMDB media blockstore into the SQLite one in the
 * same directory: every block arrives (more chunks than one, by count and by
 * bytes), `blocks.mdb` is moved aside only once everything is copied, a copy
 * interrupted before that runs again to the same result, and without an LMDB
 * blockstore nothing happens.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { openLmdbBlockstore } from '../../src/adapters/node/lmdb-blockstore.ts'
import { migrateLmdbBlockstore } from '../../src/adapters/node/migrate-lmdb-blockstore.ts'
import { openSqliteBlockstore, SqliteBlockstore } from '../../src/adapters/node/sqlite-blockstore.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

async function blockOf (size: number): Promise<{ cid: CID, bytes: Uint8Array }> {
  const bytes = new Uint8Array(randomBytes(size))
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

async function read (store: SqliteBlockstore, cid: CID): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const part of store.get(cid)) parts.push(part)
  return new Uint8Array(Buffer.concat(parts))
}

/** Whether `store` holds each block's bytes (compared whole: deep equality of a MiB takes seconds). */
async function expectHeld (store: SqliteBlockstore, blocks: ReadonlyArray<{ cid: CID, bytes: Uint8Array }>): Promise<void> {
  for (const block of blocks) expect(Buffer.from(await read(store, block.cid)).equals(block.bytes), block.cid.toString()).toBe(true)
}

describe('migrating an LMDB media blockstore into SQLite', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  let root: string
  let directory: string
  let target: SqliteBlockstore
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'threads-migrate-lmdb-blocks-'))
    directory = join(root, 'blocks')
    target = await openSqliteBlockstore({ directory, durable: false })
  })
  afterEach(async () => {
    try { await target.close() } finally { await rm(root, { recursive: true, force: true }) }
  })

  /** An LMDB blockstore holding 150 small blocks and 20 of a MiB (more than a chunk of either). */
  const fillLmdbBlockstore = async (): Promise<Array<{ cid: CID, bytes: Uint8Array }>> => {
    const source = await openLmdbBlockstore({ directory, durable: false })
    const blocks = await Promise.all([...Array.from({ length: 150 }, (_, i) => 10 + i), ...Array.from({ length: 20 }, () => 1024 * 1024)].map(blockOf))
    for (const block of blocks) await source.put(block.cid, block.bytes)
    await source.close()
    return blocks
  }

  it('copies every block, then moves the old file aside', async () => {
    const blocks = await fillLmdbBlockstore()
    const migrated = await migrateLmdbBlockstore({ directory, to: target })
    expect(migrated).toMatchObject({ blocks: 170, bytes: blocks.reduce((total, block) => total + block.bytes.length, 0) })
    await expectHeld(target, blocks)
    const files = await readdir(directory)
    expect(files).toContain(migrated!.movedTo.split('/').pop())
    expect(files.filter(name => name.startsWith('blocks.mdb') && !name.includes('.migrated-'))).toEqual([])
    // Done once: the next start finds no LMDB blockstore.
    expect(await migrateLmdbBlockstore({ directory, to: target })).toBeUndefined()
  })

  it('runs again to the same result after a copy that stopped before the move', async () => {
    const blocks = await fillLmdbBlockstore()
    let puts = 0
    const failing = Object.assign(Object.create(target) as SqliteBlockstore, {
      put: async (cid: CID, bytes: Uint8Array) => { if (++puts > 100) throw new Error('disk full'); return await target.put(cid, bytes) }
    })
    await expect(migrateLmdbBlockstore({ directory, to: failing })).rejects.toThrow('disk full')
    expect(await readdir(directory)).toContain('blocks.mdb')
    expect(await migrateLmdbBlockstore({ directory, to: target })).toMatchObject({ blocks: 170 })
    await expectHeld(target, blocks)
  })

  it('does nothing without an LMDB blockstore', async () => {
    expect(await migrateLmdbBlockstore({ directory, to: target })).toBeUndefined()
    expect((await readdir(directory)).filter(name => name.includes('mdb'))).toEqual([])
  })
})
