/**
 * What every on-disk Node backend promises beyond the storage contract:
 * string-ordered keys of any code units, blocks and meta committed together and
 * kept across reopen, and many concurrent durable writes landing whole. Each test
 * works in its own temp directory.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { StorageBackend } from '../../src/core/storage/interfaces.ts'
import { collect, makeBlock } from '../contracts/contract-helpers.ts'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

/** The backend under test, opened in a directory, and that directory. */
export interface NodeBackendUnderTest {
  readonly backend: () => StorageBackend
  readonly directory: () => string
  readonly reopen: () => Promise<StorageBackend>
}

/** Runs the shared cases against `open`, then `more` with the same backend for the cases of that backend alone. */
export function runNodeBackendTests (name: string, open: (directory: string) => Promise<StorageBackend>, more: (under: NodeBackendUnderTest) => void = () => {}): void {
  describe(`${name} backend`, () => {
    let directory: string
    let backend: StorageBackend
    beforeEach(async () => {
      directory = await mkdtemp(join(tmpdir(), 'threads-node-backend-'))
      backend = await open(directory)
    })
    afterEach(async () => {
      try { await backend.close() } finally { await rm(directory, { recursive: true, force: true }) }
    })
    const reopen = async (): Promise<StorageBackend> => {
      await backend.close()
      backend = await open(directory)
      return backend
    }

    it('keeps lone surrogates and case-distinct keys apart, and lists them in code-unit order', async () => {
      const keys = ['k', 'K', 'k\ud800', 'k\udfff', 'k\ue000', 'k\uffff', 'k\uffff\uffff', 'l']
      await backend.meta.batch(keys.map(key => ({ type: 'put', key, value: bytes(key) })))
      expect((await collect(backend.meta.list(''))).map(([key]) => key)).toEqual([...keys].sort())
      expect((await collect(backend.meta.list('k\uffff'))).map(([key]) => key)).toEqual(['k\uffff', 'k\uffff\uffff'])
      expect(await backend.meta.get('k\ud800')).toEqual(bytes('k\ud800'))
    })

    it('commits blocks and meta together, and keeps both across reopen', async () => {
      const blocks = await Promise.all([bytes('one'), bytes('two')].map(makeBlock))
      await backend.commit!(blocks, [{ type: 'put', key: 'head', value: bytes(blocks[1]!.cid) }])
      await reopen()
      for (const block of blocks) expect(await backend.blocks.get(block.cid)).toEqual(block.bytes)
      expect(await backend.meta.get('head')).toEqual(bytes(blocks[1]!.cid))
    })

    it('lands 500 concurrent durable batches, each whole', async () => {
      const store = backend
      await Promise.all(Array.from({ length: 500 }, async (_, i) => {
        await store.meta.batch([{ type: 'put', key: `doc/${i}/a`, value: bytes(`a${i}`) }, { type: 'put', key: `doc/${i}/b`, value: bytes(`b${i}`) }])
      }))
      await reopen()
      const entries = await collect(backend.meta.list('doc/'))
      expect(entries).toHaveLength(1000)
      expect(await backend.meta.get('doc/499/b')).toEqual(bytes('b499'))
    })

    more({ backend: () => backend, directory: () => directory, reopen })
  })
}
