/**
 * The file backend against the storage contract, plus what only it promises:
 * crash recovery through its journal, cleanup of temp files, safe file names.
 * Every test works in its own directory under the OS temp dir.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AbortError, MalformedRecordError } from '../../src/core/errors.ts'
import type { StorageBackend } from '../../src/core/storage/interfaces.ts'
import { openFileBackend } from '../../src/adapters/node/index.ts'
import { keyToPath } from '../../src/adapters/node/file-names.ts'
import { encodeJournal, JOURNAL_FILE } from '../../src/adapters/node/journal.ts'
import { collect, makeBlock, outcomeOf } from '../contracts/contract-helpers.ts'
import { runStorageContractTests } from '../contracts/storage-contract.ts'

const makeTempDir = async (): Promise<string> => await mkdtemp(join(tmpdir(), 'threads-files-'))
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

runStorageContractTests('files', async () => {
  const directory = await makeTempDir()
  return {
    backend: await openFileBackend({ directory }),
    reopen: async () => await openFileBackend({ directory }),
    cleanup: async () => { await rm(directory, { recursive: true, force: true }) }
  }
})

describe('file backend', () => {
  let directory: string
  let backend: StorageBackend | undefined
  beforeEach(async () => { directory = await makeTempDir() })
  afterEach(async () => {
    await backend?.close()
    backend = undefined
    await rm(directory, { recursive: true, force: true })
  })

  /** Writes a committed journal, as a crash after the commit point leaves it. */
  const crashAfterCommit = async (changes: Array<[string, Uint8Array | null]>): Promise<void> => {
    await writeFile(join(directory, JOURNAL_FILE), encodeJournal(new Map(changes)))
  }

  it('finishes, on open, a batch that a crash interrupted after its commit point', async () => {
    backend = await openFileBackend({ directory })
    await backend.meta.batch([{ type: 'put', key: 'a', value: bytes('old') }, { type: 'put', key: 'gone', value: bytes('x') }])
    await backend.close()
    // The crash came after 'a' was written and before 'b' and the removal of 'gone'.
    await writeFile(join(directory, ...keyToPath('a').split('/')), bytes('new'))
    await crashAfterCommit([[keyToPath('a'), bytes('new')], [keyToPath('b'), bytes('new')], [keyToPath('gone'), null]])
    backend = await openFileBackend({ directory })
    expect(await collect(backend.meta.list(''))).toEqual([['a', bytes('new')], ['b', bytes('new')]])
    expect(await readdir(directory)).not.toContain(JOURNAL_FILE)
  })

  it('discards, on open, a journal that never reached its commit point, and stray temp files', async () => {
    backend = await openFileBackend({ directory })
    await backend.meta.batch([{ type: 'put', key: 'a', value: bytes('old') }])
    await backend.close()
    const half = encodeJournal(new Map([[keyToPath('a'), bytes('new')], [keyToPath('b'), bytes('new')]]))
    await writeFile(join(directory, `${JOURNAL_FILE}.tmp-1`), half)
    await writeFile(join(directory, ...keyToPath('b').split('/')) + '.tmp-2', bytes('new'))
    backend = await openFileBackend({ directory })
    expect(await collect(backend.meta.list(''))).toEqual([['a', bytes('old')]])
    expect(await readdir(directory)).toEqual(expect.arrayContaining(['blocks', 'meta']))
    expect((await readdir(directory, { recursive: true })).filter(name => name.includes('.tmp-'))).toEqual([])
  })

  it('refuses to open over a journal it cannot read, rather than guess', async () => {
    await mkdir(directory, { recursive: true })
    await writeFile(join(directory, JOURNAL_FILE), bytes('not a journal'))
    await expect(openFileBackend({ directory })).rejects.toBeInstanceOf(MalformedRecordError)
  })

  it('rejects a batch aborted before its commit point and leaves no trace of it', async () => {
    backend = await openFileBackend({ directory })
    const controller = new AbortController()
    const pending = backend.meta.batch([
      { type: 'put', key: 'x', value: bytes('1') },
      { type: 'put', key: 'y', value: bytes('2') }
    ], { signal: controller.signal })
    controller.abort()
    const outcome = await outcomeOf(pending)
    expect(outcome !== 'resolved' && outcome.error).toBeInstanceOf(AbortError)
    expect(await collect(backend.meta.list(''))).toEqual([])
    expect(await readdir(directory)).not.toContain(JOURNAL_FILE)
  })

  it('keeps keys that differ only in case apart, and rejects keys UTF-8 cannot carry', async () => {
    backend = await openFileBackend({ directory })
    await backend.meta.batch([{ type: 'put', key: 'K', value: bytes('upper') }, { type: 'put', key: 'k', value: bytes('lower') }])
    expect(await backend.meta.get('K')).toEqual(bytes('upper'))
    expect(await backend.meta.get('k')).toEqual(bytes('lower'))
    await expect(backend.meta.batch([{ type: 'put', key: 'lone \ud800', value: bytes('x') }])).rejects.toBeInstanceOf(TypeError)
    await expect(backend.meta.get('x'.repeat(5000))).rejects.toMatchObject({ name: 'TooLargeError' })
  })

  it('accepts only lower-case base32 CIDs as block names', async () => {
    backend = await openFileBackend({ directory })
    const block = await makeBlock(bytes('x'))
    for (const cid of ['../meta/escape', 'QmUpperCaseV0', '', 'b/a']) {
      await expect(backend.blocks.putMany([{ ...block, cid }])).rejects.toBeInstanceOf(TypeError)
      await expect(backend.blocks.deleteMany([cid])).rejects.toBeInstanceOf(TypeError)
    }
    expect(await readdir(join(directory, 'blocks'))).toEqual([])
  })
})
