/**
 * Helpers shared by the storage contract suites: a fresh backend per test (closed
 * and cleaned up afterwards, even when the test fails), deterministic bytes, real CIDs.
 * They run unchanged in Node and in the browser.
 */
import { afterEach, beforeEach, expect } from 'vitest'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import type { RawBlock, StorageBackend } from '../../src/core/storage/interfaces.ts'

/** What a contract suite needs from an implementation. */
export interface StorageContractSubject {
  /** A freshly opened, empty backend. */
  readonly backend: StorageBackend
  /** Opens the same data again; the suite closes the previous backend first. */
  readonly reopen?: () => Promise<StorageBackend>
  /** Removes whatever the backend left behind (temp directories, databases). */
  readonly cleanup?: () => Promise<void>
}

/** Creates one subject per test. */
export type StorageContractSetup = () => Promise<StorageContractSubject>

/** The per-test view of the subject: the current backend and a way to reopen it. */
export interface BackendFixture {
  readonly backend: StorageBackend
  readonly canReopen: boolean
  /** Closes the current backend, reopens the same data and makes it current. */
  reopen(): Promise<StorageBackend>
}

/**
 * Registers beforeEach/afterEach hooks giving every test its own backend, and
 * returns an accessor valid inside tests.
 */
export function useBackend (setup: StorageContractSetup): () => BackendFixture {
  let subject: StorageContractSubject | undefined
  let current: StorageBackend | undefined

  beforeEach(async () => {
    subject = await setup()
    current = subject.backend
  })
  afterEach(async () => {
    try {
      await current?.close()
    } finally {
      await subject?.cleanup?.()
      subject = undefined
      current = undefined
    }
  })

  return () => {
    if (subject === undefined || current === undefined) throw new Error('useBackend: no backend outside a test')
    const { reopen } = subject
    return {
      backend: current,
      canReopen: reopen !== undefined,
      async reopen () {
        if (reopen === undefined) throw new Error('This implementation cannot be reopened')
        await current?.close()
        current = await reopen()
        return current
      }
    }
  }
}

/** `length` deterministic pseudo-random bytes (xorshift32), different per seed. */
export function patternBytes (length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length)
  let state = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < length; i++) {
    state ^= state << 13; state >>>= 0
    state ^= state >>> 17
    state ^= state << 5; state >>>= 0
    bytes[i] = state & 0xff
  }
  return bytes
}

/**
 * Asserts that `actual` is a plain Uint8Array holding exactly `expected`.
 * Compares in a loop and reports the first differing index: deep equality over a
 * 1 MiB array takes seconds.
 */
export function expectSameBytes (actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array)
  expect(Object.getPrototypeOf(actual)).toBe(Uint8Array.prototype)
  expect(actual?.byteLength).toBe(expected.byteLength)
  let firstDifference = -1
  for (let i = 0; i < expected.byteLength; i++) {
    if (actual![i] !== expected[i]) { firstDifference = i; break }
  }
  expect(firstDifference, 'index of the first differing byte').toBe(-1)
}

/** UTF-8 bytes of a string, handy as a recognisable value. */
export function utf8 (text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/** A raw block with a real CIDv1 (sha2-256, raw codec, base32), as core would make it. */
export async function makeBlock (bytes: Uint8Array): Promise<RawBlock> {
  const digest = await sha256.digest(bytes)
  return { cid: CID.create(1, raw.code, digest).toString(), bytes }
}

/** Drains an async iterable into an array. */
export async function collect<T> (iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}

/** Settles a promise into 'resolved' or the rejection reason, to branch on outcomes. */
export async function outcomeOf (promise: Promise<unknown>): Promise<'resolved' | { readonly error: unknown }> {
  return promise.then(() => 'resolved' as const, (error: unknown) => ({ error }))
}

/**
 * Resolves on a later task (not a microtask), letting pending I/O callbacks run.
 * A yield, not a timed wait: nothing depends on how long it takes.
 */
export async function nextTask (): Promise<void> {
  await new Promise<void>(resolve => { setTimeout(resolve, 0) })
}

/** A signal that has already fired. */
export function abortedSignal (): AbortSignal {
  const controller = new AbortController()
  controller.abort(new Error('cancelled by the test'))
  return controller.signal
}
