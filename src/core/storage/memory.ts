/**
 * In-memory storage: a KeyValueStore, a BlockStore and a StorageBackend held in Maps.
 *
 * Guarantees (those of interfaces.ts, checked by test/contracts/storage-contract.ts):
 * - bytes are copied on the way in and on the way out, so neither a caller nor the
 *   store can change the other's bytes, and every value returned is a plain Uint8Array;
 * - a batch (or putMany) is validated and copied before anything is applied, then
 *   applied without yielding, so it is all-or-nothing and never seen half-done;
 * - `list` walks a snapshot taken when iteration starts, in code-unit order;
 * - every call rejects with AbortError if its signal has already fired, and with
 *   StoreClosedError once the store is closed.
 * Nothing here uses DOM or Node APIs: unit tests, the worker and the follower all share it.
 *
 * The input checks (`copyBatchOperations`, `copyBlocks`) are exported so that every
 * backend accepts and refuses exactly the same inputs.
 */
import { StoreClosedError, throwIfAborted } from '../errors.ts'
import type {
  BatchOperation, BlockStore, KeyValueStore, RawBlock, StorageBackend, StoreCallOptions
} from './interfaces.ts'

/** A copy of `bytes` in its own buffer, as a plain Uint8Array (never a subclass). */
export function copyBytes (bytes: Uint8Array): Uint8Array {
  // `new Uint8Array(x)` copies; `x.slice()` would keep a subclass such as Node's Buffer.
  return new Uint8Array(bytes)
}

/**
 * Checks every operation of a batch and returns copies of them.
 * Called before a backend writes anything, so a bad operation anywhere in the
 * batch fails it whole, and later changes to the caller's arrays cannot leak in.
 * A backend that copies values itself as it takes them passes its own `copy`.
 * @throws TypeError naming the first operation that is not a valid put or delete.
 */
export function copyBatchOperations (operations: readonly BatchOperation[], copy: (bytes: Uint8Array) => Uint8Array = copyBytes): BatchOperation[] {
  if (!Array.isArray(operations)) throw new TypeError('A batch must be an array of operations')
  return operations.map((operation: unknown, index) => {
    const op = operation as Partial<Record<'type' | 'key' | 'value', unknown>> | null
    if (op === null || typeof op !== 'object' || typeof op.key !== 'string') {
      throw new TypeError(`Batch operation ${index} has no string key`)
    }
    if (op.type === 'delete') return { type: 'delete', key: op.key }
    if (op.type !== 'put') throw new TypeError(`Batch operation ${index} is neither a put nor a delete`)
    if (!(op.value instanceof Uint8Array)) throw new TypeError(`Batch operation ${index} puts a value that is not a Uint8Array`)
    return { type: 'put', key: op.key, value: copy(op.value) }
  })
}

/**
 * Checks every block of a putMany and returns copies of them.
 * @throws TypeError naming the first block without a string CID or Uint8Array bytes.
 */
export function copyBlocks (blocks: readonly RawBlock[], copy: (bytes: Uint8Array) => Uint8Array = copyBytes): RawBlock[] {
  if (!Array.isArray(blocks)) throw new TypeError('putMany takes an array of blocks')
  return blocks.map((block: unknown, index) => {
    const b = block as Partial<Record<'cid' | 'bytes', unknown>> | null
    if (b === null || typeof b !== 'object' || typeof b.cid !== 'string' || b.cid === '') {
      throw new TypeError(`Block ${index} has no CID string`)
    }
    if (!(b.bytes instanceof Uint8Array)) throw new TypeError(`Block ${index} has bytes that are not a Uint8Array`)
    return { cid: b.cid, bytes: copy(b.bytes) }
  })
}

/**
 * Checks a list of CIDs to delete and returns a copy of it.
 * @throws TypeError if an entry is not a string.
 */
export function copyCids (cids: readonly string[]): string[] {
  if (!Array.isArray(cids)) throw new TypeError('deleteMany takes an array of CIDs')
  return cids.map((cid: unknown, index) => {
    if (typeof cid !== 'string') throw new TypeError(`CID ${index} is not a string`)
    return cid
  })
}

/** `get` and `has` over a map, as both memory stores answer them: a copy out, never the stored bytes. */
function mapLookups (entries: Map<string, Uint8Array>, lifecycle: Lifecycle): Pick<KeyValueStore, 'get' | 'has'> {
  return {
    async get (key, options) {
      lifecycle.check(options)
      const value = entries.get(key)
      return value === undefined ? undefined : copyBytes(value)
    },
    async has (key, options) {
      lifecycle.check(options)
      return entries.has(key)
    }
  }
}

/** Tracks open/closed so every call of a store can refuse work after close. */
interface Lifecycle { check: (options?: StoreCallOptions) => void, close: () => void }

function createLifecycle (what: string): Lifecycle {
  let state: 'open' | 'closed' = 'open'
  return {
    check (options) {
      if (state === 'closed') throw new StoreClosedError(`The in-memory ${what} is closed`)
      throwIfAborted(options?.signal)
    },
    close () { state = 'closed' }
  }
}

/**
 * Creates an empty in-memory KeyValueStore. Its contents live as long as the object.
 * @example
 * const meta = createMemoryKeyValueStore()
 * await meta.batch([{ type: 'put', key: 'a', value: new Uint8Array([1]) }])
 */
export function createMemoryKeyValueStore (): KeyValueStore & { close(): Promise<void> } {
  const entries = new Map<string, Uint8Array>()
  const lifecycle = createLifecycle('key-value store')
  return {
    ...mapLookups(entries, lifecycle),
    async batch (operations, options) {
      lifecycle.check(options)
      const checked = copyBatchOperations(operations)
      for (const op of checked) {
        if (op.type === 'put') entries.set(op.key, op.value)
        else entries.delete(op.key)
      }
    },
    async * list (prefix, options) {
      lifecycle.check(options)
      // Default sort compares UTF-16 code units, the order the interface promises.
      const keys = [...entries.keys()].filter(key => key.startsWith(prefix)).sort()
      const snapshot = keys.map(key => [key, entries.get(key) as Uint8Array] as const)
      for (const [key, value] of snapshot) {
        lifecycle.check(options)
        yield [key, copyBytes(value)] as const
      }
    },
    async close () { lifecycle.close() }
  }
}

/** Creates an empty in-memory BlockStore. It stores what it is given, unverified. */
export function createMemoryBlockStore (): BlockStore & { close(): Promise<void> } {
  const blocks = new Map<string, Uint8Array>()
  const lifecycle = createLifecycle('block store')
  return {
    ...mapLookups(blocks, lifecycle),
    async putMany (input, options) {
      lifecycle.check(options)
      for (const block of copyBlocks(input)) blocks.set(block.cid, block.bytes)
    },
    async deleteMany (cids, options) {
      lifecycle.check(options)
      for (const cid of copyCids(cids)) blocks.delete(cid)
    },
    async close () { lifecycle.close() }
  }
}

/**
 * Creates an in-memory StorageBackend: a fresh block store and key-value store,
 * closed together. Nothing survives the object; use it for tests and ephemeral nodes.
 */
export function createMemoryBackend (): StorageBackend {
  const blocks = createMemoryBlockStore()
  const meta = createMemoryKeyValueStore()
  return {
    blocks,
    meta,
    async close () {
      await Promise.all([blocks.close(), meta.close()])
    }
  }
}
