/**
 * Contract of `StorageBackend.meta` (a KeyValueStore), per interfaces.ts: exact bytes
 * as fresh copies, all-or-nothing batches, prefix listing in code-unit order, abort
 * and close behaviour, and persistence across reopen where the backend has it.
 */
import { describe, expect, it } from 'vitest'
import { AbortError, StoreClosedError } from '../../src/core/errors.ts'
import type { BatchOperation, KeyValueStore } from '../../src/core/storage/interfaces.ts'
import {
  abortedSignal, collect, expectSameBytes, nextTask, outcomeOf, patternBytes, utf8, type StorageContractSetup, useBackend
} from './contract-helpers.ts'

const MiB = 1024 * 1024

async function put (meta: KeyValueStore, key: string, value: Uint8Array): Promise<void> {
  await meta.batch([{ type: 'put', key, value }])
}

/** Registers the key-value contract tests for one implementation. */
export function runKeyValueContractTests (setup: StorageContractSetup): void {
  const fixture = useBackend(setup)

  describe('meta: values', () => {
    it('round-trips bytes exactly, including empty and 1 MiB values, as plain Uint8Arrays', async () => {
      const { meta } = fixture().backend
      const values: Record<string, Uint8Array> = {
        small: Uint8Array.of(0, 1, 127, 128, 255),
        empty: new Uint8Array(0),
        large: patternBytes(MiB, 7)
      }
      await meta.batch(Object.entries(values).map(([key, value]) => ({ type: 'put', key, value })))
      for (const [key, value] of Object.entries(values)) {
        expectSameBytes(await meta.get(key), value)
      }
    })

    it('stores copies: mutating the input or a returned value changes nothing stored', async () => {
      const { meta } = fixture().backend
      const input = Uint8Array.of(1, 2, 3)
      await put(meta, 'k', input)
      input[0] = 9
      const first = await meta.get('k')
      expect(first).toEqual(Uint8Array.of(1, 2, 3))
      first![1] = 9
      const second = await meta.get('k')
      expect(second).toEqual(Uint8Array.of(1, 2, 3))
      expect(second).not.toBe(first)
    })

    it('stores only the viewed bytes of a subarray and returns values that own their buffer', async () => {
      const { meta } = fixture().backend
      const backing = patternBytes(64, 3)
      await put(meta, 'view', backing.subarray(10, 13))
      const got = await meta.get('view')
      expect(got).toEqual(backing.slice(10, 13))
      expect(got?.byteOffset).toBe(0)
      expect(got?.buffer.byteLength).toBe(3)
    })

    it('reports missing keys as undefined / false, and deleted keys as missing', async () => {
      const { meta } = fixture().backend
      expect(await meta.get('nope')).toBeUndefined()
      expect(await meta.has('nope')).toBe(false)
      await put(meta, 'k', utf8('v'))
      expect(await meta.has('k')).toBe(true)
      await meta.batch([{ type: 'delete', key: 'k' }, { type: 'delete', key: 'never-there' }])
      expect(await meta.has('k')).toBe(false)
      expect(await meta.get('k')).toBeUndefined()
    })

    it('handles long and non-ASCII keys', async () => {
      const { meta } = fixture().backend
      const keys = [`long/${'x'.repeat(1000)}`, 'ключ/😀/\u0000/\uffff', '']
      await meta.batch(keys.map(key => ({ type: 'put', key, value: utf8(key) })))
      for (const key of keys) expect(await meta.get(key)).toEqual(utf8(key))
      expect((await collect(meta.list('long/'))).map(([key]) => key)).toEqual([keys[0]])
    })

    it('lists long keys under prefixes shorter and longer than a file name can be', async () => {
      const { meta } = fixture().backend
      const stem = `long/${'y'.repeat(300)}`
      const keys = [`${stem}a${'z'.repeat(400)}`, `${stem}b${'z'.repeat(400)}`, `${stem}b`, `${stem}c`, 'long/x']
      await meta.batch(keys.map(key => ({ type: 'put', key, value: utf8(key) })))
      const under = async (prefix: string): Promise<string[]> => (await collect(meta.list(prefix))).map(([key]) => key)
      expect(await under('long/')).toEqual([...keys].sort())
      expect(await under(stem)).toEqual([keys[0], keys[2], keys[1], keys[3]])
      expect(await under(`${stem}b`)).toEqual([keys[2], keys[1]])
      expect(await under(`${stem}b${'z'.repeat(200)}`)).toEqual([keys[1]])
      expect(await under(`${stem}d`)).toEqual([])
    })
  })

  describe('meta: batches', () => {
    it('applies operations in order, the last one per key winning', async () => {
      const { meta } = fixture().backend
      await put(meta, 'gone', utf8('old'))
      await meta.batch([
        { type: 'put', key: 'twice', value: utf8('1') },
        { type: 'put', key: 'twice', value: utf8('2') },
        { type: 'put', key: 'put-then-delete', value: utf8('x') },
        { type: 'delete', key: 'put-then-delete' },
        { type: 'delete', key: 'gone' },
        { type: 'put', key: 'gone', value: utf8('back') },
        { type: 'delete', key: 'twice-deleted' }
      ])
      expect(await meta.get('twice')).toEqual(utf8('2'))
      expect(await meta.has('put-then-delete')).toBe(false)
      expect(await meta.get('gone')).toEqual(utf8('back'))
      expect(await meta.batch([])).toBeUndefined()
    })

    it('applies nothing of a batch with an invalid operation', async () => {
      const { meta } = fixture().backend
      await put(meta, 'keep', utf8('kept'))
      const invalid: unknown[] = [
        { type: 'put', key: 'x', value: 'not bytes' },
        { type: 'put', key: 'x', value: [1, 2] },
        { type: 'replace', key: 'x', value: utf8('v') },
        { type: 'put', key: 7, value: utf8('v') },
        null
      ]
      for (const bad of invalid) {
        const batch = [
          { type: 'put', key: 'new', value: utf8('n') },
          { type: 'delete', key: 'keep' },
          bad,
          { type: 'put', key: 'after', value: utf8('a') }
        ] as BatchOperation[]
        await expect(meta.batch(batch)).rejects.toBeInstanceOf(TypeError)
      }
      expect(await collect(meta.list(''))).toEqual([['keep', utf8('kept')]])
    })

    it('never lets a reader see part of a batch', async () => {
      const { meta } = fixture().backend
      const keys = Array.from({ length: 40 }, (_, i) => `iso/${String(i).padStart(2, '0')}`)
      await meta.batch(keys.map(key => ({ type: 'put', key, value: utf8('old') })))
      let settled = false
      const pending = meta.batch(keys.map(key => ({ type: 'put', key, value: utf8('new') })))
        .finally(() => { settled = true })
      const text = (value: Uint8Array | undefined): string => new TextDecoder().decode(value)
      const pairs: string[] = []
      // Two sequential reads: once one sees the batch, a later one must see it too.
      // Each round yields a task, since reads served from memory would otherwise starve I/O.
      while (!settled) {
        await nextTask()
        for (const [x, y] of [[keys[0]!, keys[39]!], [keys[39]!, keys[0]!]] as const) {
          const first = text(await meta.get(x))
          pairs.push(`${first}/${text(await meta.get(y))}`)
        }
      }
      await pending
      expect(pairs).not.toContain('new/old')
      expect(await meta.get(keys[20]!)).toEqual(utf8('new'))
    })

    it('lands every one of many concurrent batches', async () => {
      const { meta } = fixture().backend
      await Promise.all(Array.from({ length: 20 }, (_, i) => meta.batch([
        { type: 'put', key: `c/${String(i).padStart(2, '0')}/a`, value: utf8(`${i}a`) },
        { type: 'put', key: `c/${String(i).padStart(2, '0')}/b`, value: utf8(`${i}b`) }
      ])))
      const listed = await collect(meta.list('c/'))
      expect(listed).toHaveLength(40)
      expect(listed[39]).toEqual(['c/19/b', utf8('19b')])
    })
  })

  describe('meta: list', () => {
    const keys = ['p/b', 'q/a', 'p/\uffff\uffff', 'p', 'P/a', 'p/😀', 'p0', 'o/z', 'p/a', 'p/\uffff', 'p/b/c']

    it('yields keys under a prefix in code-unit order, and nothing outside it', async () => {
      const { meta } = fixture().backend
      // Several batches, in an order unlike the sorted one.
      await meta.batch(keys.slice(0, 5).map(key => ({ type: 'put', key, value: utf8(key) })))
      await meta.batch(keys.slice(5).map(key => ({ type: 'put', key, value: utf8(key) })))
      const under = async (prefix: string): Promise<string[]> =>
        (await collect(meta.list(prefix))).map(([key, value]) => {
          expect(value).toEqual(utf8(key))
          return key
        })
      // Written out by hand: U+1F600 is stored as surrogates (0xD83D…), below U+FFFF.
      expect(await under('p/')).toEqual(['p/a', 'p/b', 'p/b/c', 'p/😀', 'p/\uffff', 'p/\uffff\uffff'])
      expect(await under('p')).toEqual(['p', 'p/a', 'p/b', 'p/b/c', 'p/😀', 'p/\uffff', 'p/\uffff\uffff', 'p0'])
      expect(await under('p/b')).toEqual(['p/b', 'p/b/c'])
      expect(await under('')).toEqual(['P/a', 'o/z', 'p', 'p/a', 'p/b', 'p/b/c', 'p/😀', 'p/\uffff', 'p/\uffff\uffff', 'p0', 'q/a'])
      expect(await under('r')).toEqual([])
    })

    it('yields copies', async () => {
      const { meta } = fixture().backend
      await put(meta, 'l/1', Uint8Array.of(1))
      const [[, value] = ['', new Uint8Array()]] = await collect(meta.list('l/'))
      value[0] = 9
      expect(await meta.get('l/1')).toEqual(Uint8Array.of(1))
    })
  })

  describe('meta: abort and close', () => {
    it('rejects every call with an already-aborted signal, changing nothing', async () => {
      const { meta } = fixture().backend
      await put(meta, 'k', utf8('v'))
      const signal = abortedSignal()
      await expect(meta.batch([{ type: 'delete', key: 'k' }, { type: 'put', key: 'n', value: utf8('n') }], { signal }))
        .rejects.toBeInstanceOf(AbortError)
      await expect(meta.get('k', { signal })).rejects.toBeInstanceOf(AbortError)
      await expect(meta.has('k', { signal })).rejects.toBeInstanceOf(AbortError)
      await expect(collect(meta.list('', { signal }))).rejects.toBeInstanceOf(AbortError)
      expect(await collect(meta.list(''))).toEqual([['k', utf8('v')]])
    })

    it('applies a batch aborted while in flight either whole or not at all', async () => {
      const { meta } = fixture().backend
      await meta.batch([{ type: 'put', key: 'a/0', value: utf8('old') }, { type: 'put', key: 'a/1', value: utf8('old') }])
      const controller = new AbortController()
      const pending = meta.batch([
        { type: 'put', key: 'a/1', value: utf8('new') },
        { type: 'put', key: 'a/2', value: patternBytes(256 * 1024) },
        { type: 'delete', key: 'a/0' }
      ], { signal: controller.signal })
      controller.abort()
      const outcome = await outcomeOf(pending)
      const keys = (await collect(meta.list('a/'))).map(([key]) => key)
      if (outcome === 'resolved') {
        expect(keys).toEqual(['a/1', 'a/2'])
        expect(await meta.get('a/1')).toEqual(utf8('new'))
      } else {
        expect(outcome.error).toBeInstanceOf(AbortError)
        expect(keys).toEqual(['a/0', 'a/1'])
        expect(await meta.get('a/1')).toEqual(utf8('old'))
      }
    })

    it('rejects calls after close with StoreClosedError, and closes twice quietly', async () => {
      const { backend } = fixture()
      await put(backend.meta, 'k', utf8('v'))
      await backend.close()
      await expect(backend.meta.get('k')).rejects.toBeInstanceOf(StoreClosedError)
      await expect(backend.meta.has('k')).rejects.toBeInstanceOf(StoreClosedError)
      await expect(put(backend.meta, 'k', utf8('w'))).rejects.toBeInstanceOf(StoreClosedError)
      await expect(collect(backend.meta.list(''))).rejects.toMatchObject({ name: 'StoreClosedError' })
      await expect(backend.close()).resolves.toBeUndefined()
    })
  })

  describe('meta: persistence', () => {
    it('keeps every committed change across close and reopen', async ({ skip }) => {
      const current = fixture()
      skip(!current.canReopen, 'this backend does not persist')
      await current.backend.meta.batch([
        { type: 'put', key: 'r/a', value: utf8('a') },
        { type: 'put', key: 'r/b', value: patternBytes(MiB, 5) },
        { type: 'put', key: 'r/c', value: utf8('c') }
      ])
      await current.backend.meta.batch([{ type: 'delete', key: 'r/c' }, { type: 'put', key: 'r/a', value: utf8('a2') }])
      const reopened = await current.reopen()
      expect((await collect(reopened.meta.list('r/'))).map(([key]) => key)).toEqual(['r/a', 'r/b'])
      expect(await reopened.meta.get('r/a')).toEqual(utf8('a2'))
      expectSameBytes(await reopened.meta.get('r/b'), patternBytes(MiB, 5))
      expect(await reopened.meta.has('r/c')).toBe(false)
    })
  })
}
