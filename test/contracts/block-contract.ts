/**
 * Contract of `StorageBackend.blocks` (a BlockStore), per interfaces.ts: exact bytes
 * as fresh copies, all-or-nothing putMany, deleteMany, abort and close behaviour,
 * and persistence across reopen where the backend has it. CIDs are real CIDv1s.
 */
import { describe, expect, it } from 'vitest'
import { AbortError, StoreClosedError } from '../../src/core/errors.ts'
import type { RawBlock } from '../../src/core/storage/interfaces.ts'
import {
  abortedSignal, expectSameBytes, makeBlock, outcomeOf, patternBytes, utf8, type StorageContractSetup, useBackend
} from './contract-helpers.ts'

const MiB = 1024 * 1024

/** Registers the block store contract tests for one implementation. */
export function runBlockContractTests (setup: StorageContractSetup): void {
  const fixture = useBackend(setup)

  describe('blocks: values', () => {
    it('round-trips bytes exactly, including empty and 1 MiB blocks, as plain Uint8Arrays', async () => {
      const { blocks } = fixture().backend
      const input = await Promise.all([Uint8Array.of(0, 255), new Uint8Array(0), patternBytes(MiB, 11)].map(makeBlock))
      await blocks.putMany(input)
      for (const block of input) {
        expectSameBytes(await blocks.get(block.cid), block.bytes)
        expect(await blocks.has(block.cid)).toBe(true)
      }
    })

    it('stores copies: mutating the input or a returned value changes nothing stored', async () => {
      const { blocks } = fixture().backend
      const block = await makeBlock(Uint8Array.of(1, 2, 3))
      await blocks.putMany([block])
      block.bytes[0] = 9
      const first = await blocks.get(block.cid)
      expect(first).toEqual(Uint8Array.of(1, 2, 3))
      first![1] = 9
      expect(await blocks.get(block.cid)).toEqual(Uint8Array.of(1, 2, 3))
    })

    it('reports missing blocks as undefined / false', async () => {
      const { blocks } = fixture().backend
      const absent = await makeBlock(utf8('never stored'))
      expect(await blocks.get(absent.cid)).toBeUndefined()
      expect(await blocks.has(absent.cid)).toBe(false)
      await expect(blocks.putMany([])).resolves.toBeUndefined()
    })

    it('accepts the same block twice, in one call or in two', async () => {
      const { blocks } = fixture().backend
      const block = await makeBlock(utf8('twice'))
      await blocks.putMany([block, block])
      await blocks.putMany([block])
      expect(await blocks.get(block.cid)).toEqual(utf8('twice'))
    })
  })

  describe('blocks: putMany and deleteMany', () => {
    it('stores nothing of a putMany with an invalid block', async () => {
      const { blocks } = fixture().backend
      const good = await makeBlock(utf8('good'))
      const invalid: unknown[] = [{ cid: good.cid, bytes: 'text' }, { cid: 42, bytes: utf8('x') }, { bytes: utf8('x') }, null]
      for (const bad of invalid) {
        await expect(blocks.putMany([good, bad] as RawBlock[])).rejects.toBeInstanceOf(TypeError)
      }
      expect(await blocks.has(good.cid)).toBe(false)
    })

    it('deletes the listed blocks only, ignoring ones it does not hold', async () => {
      const { blocks } = fixture().backend
      const [a, b, c, never] = await Promise.all(['a', 'b', 'c', 'never'].map(async text => await makeBlock(utf8(text))))
      await blocks.putMany([a!, b!, c!])
      await blocks.deleteMany([a!.cid, c!.cid, never!.cid])
      expect(await blocks.has(a!.cid)).toBe(false)
      expect(await blocks.get(b!.cid)).toEqual(utf8('b'))
      expect(await blocks.has(c!.cid)).toBe(false)
      await expect(blocks.deleteMany([])).resolves.toBeUndefined()
      await expect(blocks.deleteMany([7] as unknown as string[])).rejects.toBeInstanceOf(TypeError)
    })

    it('lands every one of many concurrent putMany calls', async () => {
      const { blocks } = fixture().backend
      const input = await Promise.all(Array.from({ length: 30 }, async (_, i) => await makeBlock(utf8(`concurrent ${i}`))))
      await Promise.all(input.map(async block => { await blocks.putMany([block]) }))
      for (const block of input) expect(await blocks.get(block.cid)).toEqual(block.bytes)
    })
  })

  describe('blocks: abort and close', () => {
    it('rejects every call with an already-aborted signal, changing nothing', async () => {
      const { blocks } = fixture().backend
      const [kept, added] = await Promise.all([makeBlock(utf8('kept')), makeBlock(utf8('added'))])
      await blocks.putMany([kept])
      const signal = abortedSignal()
      await expect(blocks.putMany([added], { signal })).rejects.toBeInstanceOf(AbortError)
      await expect(blocks.deleteMany([kept.cid], { signal })).rejects.toBeInstanceOf(AbortError)
      await expect(blocks.get(kept.cid, { signal })).rejects.toBeInstanceOf(AbortError)
      await expect(blocks.has(kept.cid, { signal })).rejects.toBeInstanceOf(AbortError)
      expect(await blocks.has(kept.cid)).toBe(true)
      expect(await blocks.has(added.cid)).toBe(false)
    })

    it('applies a putMany aborted while in flight either whole or not at all', async () => {
      const { blocks } = fixture().backend
      const input = await Promise.all([1, 2, 3].map(async seed => await makeBlock(patternBytes(128 * 1024, seed))))
      const controller = new AbortController()
      const pending = blocks.putMany(input, { signal: controller.signal })
      controller.abort()
      const outcome = await outcomeOf(pending)
      const held = await Promise.all(input.map(async block => await blocks.has(block.cid)))
      if (outcome === 'resolved') {
        expect(held).toEqual([true, true, true])
      } else {
        expect(outcome.error).toBeInstanceOf(AbortError)
        expect(held).toEqual([false, false, false])
      }
    })

    it('rejects calls after close with StoreClosedError', async () => {
      const { backend } = fixture()
      const block = await makeBlock(utf8('closed'))
      await backend.blocks.putMany([block])
      await backend.close()
      await expect(backend.blocks.get(block.cid)).rejects.toBeInstanceOf(StoreClosedError)
      await expect(backend.blocks.has(block.cid)).rejects.toBeInstanceOf(StoreClosedError)
      await expect(backend.blocks.putMany([block])).rejects.toBeInstanceOf(StoreClosedError)
      await expect(backend.blocks.deleteMany([block.cid])).rejects.toBeInstanceOf(StoreClosedError)
    })
  })

  describe('blocks: persistence', () => {
    it('keeps stored blocks, and not deleted ones, across close and reopen', async ({ skip }) => {
      const current = fixture()
      skip(!current.canReopen, 'this backend does not persist')
      const [kept, large, deleted] = await Promise.all([
        makeBlock(utf8('kept')), makeBlock(patternBytes(MiB, 13)), makeBlock(utf8('deleted'))
      ])
      await current.backend.blocks.putMany([kept, large, deleted])
      await current.backend.blocks.deleteMany([deleted.cid])
      const reopened = await current.reopen()
      expect(await reopened.blocks.get(kept.cid)).toEqual(utf8('kept'))
      expectSameBytes(await reopened.blocks.get(large.cid), large.bytes)
      expect(await reopened.blocks.has(deleted.cid)).toBe(false)
    })
  })
}
