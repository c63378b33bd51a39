/**
 * The IndexedDB backend against the storage contract, in real headless Chromium,
 * plus what only it promises: transaction aborts, shared transactions with a
 * database layer's own stores, and upgrades that add stores.
 * Every test uses its own database, deleted afterwards.
 */
import { deleteDB } from 'idb'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AbortError, StoreClosedError } from '../../src/core/errors.ts'
import { META_STORE, openIdbBackend, writeMetaOperations, type IdbBackend } from '../../src/adapters/idb/index.ts'
import { collect, makeBlock, outcomeOf, patternBytes } from '../contracts/contract-helpers.ts'
import { runStorageContractTests } from '../contracts/storage-contract.ts'

const uniqueName = (): string => `threads-test-${crypto.randomUUID()}`
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

runStorageContractTests('IndexedDB', async () => {
  const name = uniqueName()
  return {
    backend: await openIdbBackend({ name }),
    reopen: async () => await openIdbBackend({ name }),
    cleanup: async () => { await deleteDB(name) }
  }
})

describe('IndexedDB backend', () => {
  let name: string
  const opened: IdbBackend[] = []
  const open = async (options: Omit<Parameters<typeof openIdbBackend>[0], 'name'> = {}): Promise<IdbBackend> => {
    const backend = await openIdbBackend({ name, ...options })
    opened.push(backend)
    return backend
  }
  beforeEach(() => { name = uniqueName() })
  afterEach(async () => {
    await Promise.all(opened.splice(0).map(async backend => { await backend.close() }))
    await deleteDB(name)
  })

  it('aborts the transaction of a batch whose signal fires before it commits', async () => {
    const backend = await open()
    await backend.meta.batch([{ type: 'put', key: 'a', value: bytes('old') }])
    const controller = new AbortController()
    const pending = backend.meta.batch([
      { type: 'put', key: 'a', value: bytes('new') },
      { type: 'put', key: 'b', value: patternBytes(64 * 1024) }
    ], { signal: controller.signal })
    controller.abort() // the transaction cannot commit before this task ends
    const outcome = await outcomeOf(pending)
    expect(outcome !== 'resolved' && outcome.error).toBeInstanceOf(AbortError)
    expect(await collect(backend.meta.list(''))).toEqual([['a', bytes('old')]])
  })

  it('aborts the transaction of a putMany whose signal fires before it commits', async () => {
    const backend = await open()
    const block = await makeBlock(bytes('block'))
    const controller = new AbortController()
    const pending = backend.blocks.putMany([block], { signal: controller.signal })
    controller.abort()
    const outcome = await outcomeOf(pending)
    expect(outcome !== 'resolved' && outcome.error).toBeInstanceOf(AbortError)
    expect(await backend.blocks.has(block.cid)).toBe(false)
  })

  it('lets a database layer write meta and its own store in one transaction, all or nothing', async () => {
    const backend = await open({ extraStores: ['views'] })
    const db = backend.database
    let tx = db.transaction([META_STORE, 'views'], 'readwrite')
    await Promise.all([
      writeMetaOperations(tx, [{ type: 'put', key: 'checkpoint', value: bytes('1') }]),
      tx.objectStore('views').add(bytes('row 1'), 'row'),
      tx.done
    ])
    expect(await backend.meta.get('checkpoint')).toEqual(bytes('1'))

    // The view write fails (the row exists), so the checkpoint must not move either.
    tx = db.transaction([META_STORE, 'views'], 'readwrite')
    const failed = await outcomeOf(Promise.all([
      writeMetaOperations(tx, [{ type: 'put', key: 'checkpoint', value: bytes('2') }]),
      tx.objectStore('views').add(bytes('row 2'), 'row'),
      tx.done
    ]))
    expect(failed).toMatchObject({ error: { name: 'ConstraintError' } })
    expect(await backend.meta.get('checkpoint')).toEqual(bytes('1'))
    expect(await db.get('views', 'row')).toEqual(bytes('row 1'))
  })

  it('adds stores asked for later by upgrading, keeping the data', async () => {
    const first = await open()
    await first.meta.batch([{ type: 'put', key: 'kept', value: bytes('v') }])
    const version = first.database.version
    await first.close()
    const second = await open({ extraStores: ['views', 'indexes'] })
    expect(second.database.version).toBe(version + 1)
    expect([...second.database.objectStoreNames].sort()).toEqual(['blocks', 'indexes', 'meta', 'views'])
    expect(await second.meta.get('kept')).toEqual(bytes('v'))
  })

  it('steps aside for a newer connection that upgrades, and says so', async () => {
    const closes: StoreClosedError[] = []
    const old = await open({ onUnexpectedClose: error => closes.push(error) })
    const newer = await open({ extraStores: ['views'] }) // would wait forever if `old` blocked it
    expect(newer.database.objectStoreNames.contains('views')).toBe(true)
    expect(closes).toHaveLength(1)
    expect(closes[0]).toBeInstanceOf(StoreClosedError)
    await expect(old.meta.get('k')).rejects.toBeInstanceOf(StoreClosedError)
  })
})
