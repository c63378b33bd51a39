/**
 * The SQLite backend's writer thread: how a write is packed for it (every key
 * and value in one buffer, keys as the tables store them), that a write it
 * cannot apply whole leaves nothing of itself, and that a large commit runs
 * while the event loop keeps turning.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openSqliteBackend, SQLITE_FILE } from '../../src/adapters/node/sqlite-backend.ts'
import { DELETE_BLOCK, DELETE_META, META_KEY_LEAD, PUT_BLOCK, PUT_META, packWrite, unpackWrite, type PackedWrite } from '../../src/adapters/node/sqlite-write-batch.ts'
import { startSqliteWriter } from '../../src/adapters/node/sqlite-writer.ts'
import { encodeOrderedKey } from '../../src/adapters/node/ordered-keys.ts'
import type { StorageBackend } from '../../src/core/storage/interfaces.ts'
import { makeBlock } from '../contracts/contract-helpers.ts'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('a packed write', () => {
  it('carries blocks, then meta puts and deletes in order, then block deletes, with keys as stored', () => {
    const value = bytes('value')
    const packed = packWrite([{ cid: 'bafyone', bytes: bytes('block') }], [{ type: 'put', key: 'k/é😀', value }, { type: 'delete', key: 'gone' }], ['bafytwo'])
    const entries = [...unpackWrite(packed)]
    expect(entries.map((e) => e.kind)).toEqual([PUT_BLOCK, PUT_META, DELETE_META, DELETE_BLOCK])
    expect(entries[0]!.key).toEqual(encodeOrderedKey('bafyone'))
    expect(entries[0]!.value).toEqual(bytes('block'))
    expect(entries[1]!.key).toEqual(new Uint8Array([META_KEY_LEAD, ...encodeOrderedKey('k/é😀')]))
    expect(entries[1]!.value).toEqual(value)
    expect(entries[2]!.key).toEqual(new Uint8Array([META_KEY_LEAD, ...encodeOrderedKey('gone')]))
    expect(entries[2]!.value).toBeUndefined()
    expect(entries[3]!.key).toEqual(encodeOrderedKey('bafytwo'))
    // A copy: the caller changing its bytes afterwards does not reach the write.
    value.fill(0)
    expect([...unpackWrite(packed)][1]!.value).toEqual(bytes('value'))
  })

  it('is refused when its layout does not fit its buffer, or names a kind of entry that does not exist', () => {
    const packed = packWrite([], [{ type: 'put', key: 'k', value: bytes('v') }])
    const overrun: PackedWrite = { bytes: packed.bytes, layout: new Int32Array([PUT_META, 2, 10]) }
    expect(() => [...unpackWrite(overrun)]).toThrow(RangeError)
    const unknown: PackedWrite = { bytes: packed.bytes, layout: new Int32Array([7, 1, 1]) }
    expect(() => [...unpackWrite(unknown)]).toThrow(RangeError)
    const negative: PackedWrite = { bytes: packed.bytes, layout: new Int32Array([PUT_META, -1, 1]) }
    expect(() => [...unpackWrite(negative)]).toThrow(RangeError)
  })
})

describe('the SQLite writer thread', () => {
  let directory: string
  let backend: StorageBackend
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'threads-sqlite-writer-'))
    backend = await openSqliteBackend({ directory, durable: false })
  })
  afterEach(async () => {
    try { await backend.close() } finally { await rm(directory, { recursive: true, force: true }) }
  })

  it('rejects a write it cannot apply whole with the error that stopped it, and keeps none of it', async () => {
    const block = await makeBlock(bytes('kept out'))
    const good = packWrite([block], [{ type: 'put', key: 'also kept out', value: bytes('v') }])
    // The block and the meta put come first; the third entry does not fit the buffer.
    const broken: PackedWrite = { bytes: good.bytes, layout: new Int32Array([...good.layout, PUT_META, 1, 1_000]) }
    const writer = await startSqliteWriter({ path: join(directory, SQLITE_FILE), cacheKib: 1024, checkpointPages: 1000 })
    try {
      await expect(writer.write(broken)).rejects.toMatchObject({ name: 'RangeError' })
      // The thread goes on: the next write commits.
      await writer.write(packWrite([], [{ type: 'put', key: 'after', value: bytes('yes') }]))
    } finally {
      await writer.close()
    }
    expect(await backend.blocks.has(block.cid)).toBe(false)
    expect(await backend.meta.has('also kept out')).toBe(false)
    expect(await backend.meta.get('after')).toEqual(bytes('yes'))
    await expect(writer.write(good)).rejects.toMatchObject({ name: 'StoreClosedError' })
  })

  it('commits a large write while the event loop keeps turning', async () => {
    // 32 MiB in one transaction: SQLite's B-tree work and the log's writes happen in the thread.
    const chunk = new Uint8Array(64 * 1024)
    const blocks = await Promise.all(Array.from({ length: 512 }, async (_, i) => { chunk.fill(i % 251); chunk[0] = i >> 8; return await makeBlock(chunk.slice()) }))
    let turns = 0
    let writing = true
    const turn = (): void => { turns++; if (writing) setImmediate(turn) }
    const written = backend.blocks.putMany(blocks).finally(() => { writing = false })
    setImmediate(turn)
    await written
    // On the event loop, the whole transaction would run before any turn.
    expect(turns).toBeGreaterThan(1)
    expect(await backend.blocks.get(blocks[511]!.cid)).toEqual(blocks[511]!.bytes)
  })
})

describe('opening the SQLite backend', () => {
  it('fails, naming why, when its writer thread cannot open the database', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'threads-sqlite-writer-'))
    try {
      // The thread is given a directory where the database file should be, which SQLite cannot open.
      await expect(startSqliteWriter({ path: directory, cacheKib: 1024, checkpointPages: 1000 })).rejects.toMatchObject({ name: 'StoreClosedError', message: expect.stringContaining(directory) })
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  })
})
