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
import { decodeOrderedKey, encodeOrderedKey } from '../../src/adapters/node/ordered-keys.ts'
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
})
