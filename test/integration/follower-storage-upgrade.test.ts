/**
 * The follower's storage engines, as its process shows them: a follower keeps
 * its records and its media in SQLite and never loads `lmdb` (about 16 MB of a
 * process's resident memory), and one started on a data directory whose media
 * blocks are still in the LMDB blockstore of earlier versions carries every block
 * into SQLite before it serves, then moves the old file aside.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openLmdbBlockstore } from '../../src/adapters/node/lmdb-blockstore.ts'
import { openSqliteBlockstore } from '../../src/adapters/node/sqlite-blockstore.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

/** The shared objects a process has mapped (its native modules among them). */
async function mappedFiles (pid: number): Promise<string[]> {
  const maps = await readFile(`/proc/${pid}/maps`, 'utf8')
  return [...new Set(maps.split('\n').map(line => line.split(/\s+/)[5] ?? '').filter(path => path.startsWith('/')))]
}

describe('a follower\'s storage engines', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  let dataDir: string
  let follower: FollowerProcess | undefined
  beforeEach(async () => { dataDir = await mkdtemp(join(tmpdir(), 'threads-follower-storage-')) })
  afterEach(async () => {
    await follower?.stop()
    follower = undefined
    await rm(dataDir, { recursive: true, force: true })
  })

  it('keeps records and media in SQLite and loads no lmdb', async () => {
    follower = await startFollowerProcess(dataDir)
    const files = await mappedFiles(follower.child.pid!)
    // The probe can see native modules: node:sqlite is inside the node binary, so the binary is what it finds.
    expect(files.some(path => /\/node$/.test(path))).toBe(true)
    expect(files.filter(path => /lmdb/i.test(path))).toEqual([])
    expect(await readdir(join(dataDir, 'blocks'))).toContain('blocks.sqlite')
    expect(await readdir(join(dataDir, 'records'))).toContain('threads.sqlite')
  })

  it('carries the media blocks of an LMDB blockstore into SQLite before serving, then moves the old file aside', async () => {
    const old = await openLmdbBlockstore({ directory: join(dataDir, 'blocks') })
    const blocks = await Promise.all([10, 1000, 1024 * 1024].map(async (size) => {
      const bytes = new Uint8Array(randomBytes(size))
      return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
    }))
    for (const block of blocks) await old.put(block.cid, block.bytes)
    await old.close()

    follower = await startFollowerProcess(dataDir)
    expect(follower.output()).toMatch(/moved 3 media blocks \(\d+ bytes\) from LMDB into SQLite/)
    expect(await follower.stop()).toBe(0)
    const files = await readdir(join(dataDir, 'blocks'))
    expect(files).not.toContain('blocks.mdb')
    expect(files.some(name => name.startsWith('blocks.mdb.migrated-'))).toBe(true)
    const store = await openSqliteBlockstore({ directory: join(dataDir, 'blocks') })
    try {
      for (const block of blocks) {
        const parts: Uint8Array[] = []
        for await (const part of store.get(block.cid)) parts.push(part)
        expect(Buffer.concat(parts).equals(block.bytes)).toBe(true)
      }
    } finally {
      await store.close()
    }
  })
})
