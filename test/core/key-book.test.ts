/**
 * A key book that is the sole writer of its store (a follower's) keeps each
 * thread's keys in memory once read: it answers what storage holds after
 * every epoch it adds, keeps nothing for threads it holds no key of, and
 * never keeps a read that overlapped one of its writes.
 */
import { describe, expect, it } from 'vitest'
import { generateEpochKeys } from '../../src/core/acl/epoch-keys.ts'
import { createThreadId } from '../../src/core/ids/thread-id.ts'
import { createKeyBook, type HeldEpoch } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import type { KeyValueStore } from '../../src/core/storage/interfaces.ts'

const epoch = (n: number): HeldEpoch => {
  const { keyId, followKey } = generateEpochKeys()
  return { keyId, followKey, epoch: n }
}

/** `meta` whose listings read storage at once but, while held, yield only once released; it counts them. */
function heldListings (meta: KeyValueStore): { meta: KeyValueStore, hold: () => void, release: () => void, listings: () => number } {
  let gate: { promise: Promise<void>, open: () => void } | undefined
  let listings = 0
  return {
    listings: () => listings,
    hold: () => {
      let open = (): void => {}
      gate = { promise: new Promise((resolve) => { open = resolve }), open }
    },
    release: () => { gate?.open(); gate = undefined },
    meta: {
      ...meta,
      async * list (prefix, options) {
        listings++
        const rows: Array<readonly [string, Uint8Array]> = []
        for await (const row of meta.list(prefix, options)) rows.push(row)
        await gate?.promise
        yield * rows
      }
    }
  }
}

describe('a key book that is the sole writer of its store', () => {
  it('answers each thread\'s keys from memory once read, and what storage holds after each epoch it adds', async () => {
    const store = heldListings(createMemoryBackend().meta)
    const book = createKeyBook(store.meta, { soleWriter: true })
    const thread = createThreadId().toString()
    expect(await book.holds(thread)).toBe(false)
    expect(await book.holds(thread)).toBe(false)
    expect(store.listings()).toBe(2) // a thread it holds no key of is read each time, and kept nowhere

    const first = epoch(0)
    await book.putEpoch(thread, first)
    expect((await book.keyring(thread)).followKey(first.keyId)).toEqual(first.followKey)
    const listed = store.listings()
    expect(await book.holds(thread)).toBe(true)
    expect((await book.epochs(thread)).map((e) => e.epoch)).toEqual([0])
    expect((await book.keyring(thread)).followKey(first.keyId)).toEqual(first.followKey)
    expect(store.listings()).toBe(listed) // answered from memory

    const second = epoch(1)
    await book.putEpoch(thread, second)
    expect((await book.epochs(thread)).map((e) => e.epoch)).toEqual([0, 1])
    expect((await book.keyring(thread)).followKey(second.keyId)).toEqual(second.followKey)
  })

  it('does not keep a read that an epoch\'s write overlapped', async () => {
    const store = heldListings(createMemoryBackend().meta)
    const book = createKeyBook(store.meta, { soleWriter: true })
    const thread = createThreadId().toString()
    const first = epoch(0)
    await book.putEpoch(thread, first)
    // A read takes the rows as they are, then waits; an epoch is added meanwhile.
    store.hold()
    const reading = book.keyring(thread)
    const second = epoch(1)
    await book.putEpoch(thread, second)
    store.release()
    expect((await reading).followKey(second.keyId)).toBeUndefined() // read before the write
    // What is kept afterwards holds the new epoch.
    expect((await book.keyring(thread)).followKey(second.keyId)).toEqual(second.followKey)
    expect(await book.epochs(thread)).toHaveLength(2)
  })
})
