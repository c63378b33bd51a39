/**
 * The LMDB backend against the storage contract and the cases of every Node
 * backend, plus what only it promises: ordered keys that round-trip, and named
 * refusal of oversized keys.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openLmdbBackend } from '../../src/adapters/node/index.ts'
import { open } from 'lmdb'
import { LMDB_FILE } from '../../src/adapters/node/lmdb-files.ts'
import { decodeOrderedKey, encodeOrderedKey, writeOrderedKey } from '../../src/adapters/node/ordered-keys.ts'
import { collect, makeBlock } from '../contracts/contract-helpers.ts'
import { runStorageContractTests } from '../contracts/storage-contract.ts'
import { runNodeBackendTests } from './node-backend-cases.ts'

const makeTempDir = async (): Promise<string> => await mkdtemp(join(tmpdir(), 'threads-lmdb-'))
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

for (const durable of [true, false]) {
  runStorageContractTests(`LMDB${durable ? '' : ' (not durable)'}`, async () => {
    const directory = await makeTempDir()
    return {
      backend: await openLmdbBackend({ directory, durable }),
      reopen: async () => await openLmdbBackend({ directory, durable }),
      cleanup: async () => { await rm(directory, { recursive: true, force: true }) }
    }
  })
}

describe('ordered keys', () => {
  it('round-trip every code unit, lone surrogates included, and sort as the strings do', () => {
    const keys = ['', 'a', 'ab', 'b', 'é', '߿', 'ࠀ', '\ud7ff', '\ud800', '\ud83d\ude00', '\udfff', '\ue000', '\uffff', 'a\u0000']
    for (const key of keys) expect(decodeOrderedKey(encodeOrderedKey(key))).toBe(key)
    const compareBytes = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b)
    const byBytes = keys.map(encodeOrderedKey).sort(compareBytes).map(decodeOrderedKey)
    expect(byBytes).toEqual([...keys].sort())
  })

  it('are written in place only where they fit whole', () => {
    const target = new Uint8Array(8).fill(0xff)
    expect(writeOrderedKey('aé', target, 4)).toBe(7)
    expect([...target]).toEqual([0xff, 0xff, 0xff, 0xff, 0x61, 0xc3, 0xa9, 0xff])
    expect(() => writeOrderedKey('a\ue000', target, 5)).toThrow(RangeError)
    expect([...target.subarray(5)]).toEqual([0xc3, 0xa9, 0xff])
  })

  it('refuses bytes it cannot have written', () => {
    for (const bad of [[0x80], [0xc3], [0xe0, 0x80], [0xf0, 0x90, 0x80, 0x80], [0xc3, 0x41]]) {
      expect(() => decodeOrderedKey(Uint8Array.from(bad))).toThrow(TypeError)
    }
  })
})

runNodeBackendTests('LMDB', async (directory) => await openLmdbBackend({ directory }), (under) => {
  it('refuses keys and CIDs over the size limit by name, storing nothing of their call', async () => {
    const backend = under.backend()
    const long = 'k'.repeat(5000)
    await expect(backend.meta.get(long)).rejects.toMatchObject({ name: 'TooLargeError' })
    await expect(backend.meta.batch([{ type: 'put', key: 'fine', value: bytes('x') }, { type: 'put', key: long, value: bytes('x') }]))
      .rejects.toMatchObject({ name: 'TooLargeError' })
    const block = await makeBlock(bytes('block'))
    await expect(backend.commit!([block], [{ type: 'put', key: long, value: bytes('x') }])).rejects.toMatchObject({ name: 'TooLargeError' })
    await expect(backend.blocks.putMany([{ cid: long, bytes: bytes('x') }])).rejects.toMatchObject({ name: 'TooLargeError' })
    expect(await collect(backend.meta.list(''))).toEqual([])
    expect(await backend.blocks.has(block.cid)).toBe(false)
    expect(await collect(backend.meta.list(long))).toEqual([])
  })

  it('takes meta keys up to the limit whole and refuses one byte more', async () => {
    const backend = under.backend()
    const longest = 'k'.repeat(1977)
    await backend.meta.batch([{ type: 'put', key: longest, value: bytes('x') }])
    expect(await backend.meta.get(longest)).toEqual(bytes('x'))
    await expect(backend.meta.batch([{ type: 'put', key: `${longest}k`, value: bytes('x') }])).rejects.toMatchObject({ name: 'TooLargeError' })
    await expect(backend.meta.batch([{ type: 'put', key: `${'k'.repeat(1976)}é`, value: bytes('x') }])).rejects.toMatchObject({ name: 'TooLargeError' })
  })

  it('stores keys as the bytes earlier stores hold: a block under its CID, a meta key behind one lead byte', async () => {
    const block = await makeBlock(bytes('block'))
    await under.backend().commit!([block], [{ type: 'put', key: 'k\ud800é', value: bytes('v') }])
    await under.backend().close()
    const root = open({ path: join(under.directory(), LMDB_FILE), maxDbs: 2 })
    try {
      const raw = { keyEncoding: 'binary', encoding: 'binary', compression: false, cache: false } as const
      const metaKeys = [...root.openDB({ name: 'meta', ...raw }).getKeys()] as Buffer[]
      const blockKeys = [...root.openDB({ name: 'blocks', ...raw }).getKeys()] as Buffer[]
      expect(metaKeys.map((key) => [...key])).toEqual([[0x6b, ...encodeOrderedKey('k\ud800é')]])
      expect(blockKeys.map((key) => [...key])).toEqual([[...encodeOrderedKey(block.cid)]])
    } finally {
      await root.close()
    }
    const backend = await under.reopen()
    expect(await backend.meta.get('k\ud800é')).toEqual(bytes('v'))
  })
})
