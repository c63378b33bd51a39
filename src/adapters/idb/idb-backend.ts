/**
 * A StorageBackend in IndexedDB (via `idb`), for the browser worker.
 *
 * One database holds the object stores `blocks` (CID → bytes) and `meta` (key →
 * bytes), both with out-of-line string keys, plus any `extraStores` a database layer
 * asks for. Guarantees, beyond those of interfaces.ts:
 * - a batch, putMany or deleteMany is ONE readwrite transaction; if any request fails
 *   or the signal fires before it commits, the transaction is aborted and nothing of
 *   it is stored;
 * - `list` reads keys and values in one readonly transaction: a consistent snapshot;
 * - `commit` writes blocks and meta operations in ONE transaction over both stores;
 * - `database` is the open connection, so a database layer can write its own stores
 *   and meta (through `writeMetaOperations`) in the same transaction;
 * - values are stored as plain Uint8Arrays that own their buffer (a subarray is
 *   copied first, so a small view never stores its large backing buffer).
 */
import { unwrap, type IDBPDatabase, type IDBPTransaction } from 'idb'
import { AbortError, MalformedRecordError, StoreClosedError, throwIfAborted } from '../../core/errors.ts'
import type { BatchOperation, BlockStore, KeyValueStore, StorageBackend, StoreCallOptions } from '../../core/storage/interfaces.ts'
import { copyBatchOperations, copyBlocks, copyBytes, copyCids } from '../../core/storage/memory.ts'
import { openIdbConnection } from './open-connection.ts'

/** Name of the object store of blocks. */
export const BLOCK_STORE = 'blocks'
/** Name of the object store of the key-value store. */
export const META_STORE = 'meta'

/** Options of openIdbBackend. */
export interface IdbBackendOptions {
  /** Database name; one per profile or user. */
  readonly name: string
  /** More object stores to create (out-of-line keys, no indexes), for a database layer. */
  readonly extraStores?: readonly string[]
  /** Called if the database is closed by a newer connection's upgrade or by the browser. */
  readonly onUnexpectedClose?: (error: StoreClosedError) => void
}

/** A StorageBackend in IndexedDB that also exposes its connection. */
export interface IdbBackend extends StorageBackend {
  /** The open connection; do not close it directly, call `close()`. */
  readonly database: IDBPDatabase
}

/**
 * Issues a batch's puts and deletes on a transaction's meta store, without waiting
 * for the transaction. Validates every operation first (TypeError), so a bad batch
 * issues nothing. Await the returned promise together with `tx.done`: a failed
 * write aborts the transaction, so `tx.done` rejects.
 */
export async function writeMetaOperations (
  tx: IDBPTransaction<unknown, ArrayLike<string>, 'readwrite'>, operations: readonly BatchOperation[]
): Promise<void> {
  issueMetaOperations(unwrap(tx.objectStore(META_STORE)), copyBatchOperations(operations, ownedBytes))
}

/**
 * Issues already-checked operations as plain requests; they run in the order
 * issued. No promise or listener per request: a request that fails aborts its
 * transaction, which is what a write waits for.
 */
function issueMetaOperations (store: IDBObjectStore, operations: readonly BatchOperation[]): void {
  for (const op of operations) {
    if (op.type === 'put') store.put(op.value, op.key)
    else store.delete(op.key)
  }
}

/**
 * Opens (creating or upgrading if needed) the IndexedDB backend named `name`.
 * @example
 * const backend = await openIdbBackend({ name: 'threads', extraStores: ['views'] })
 */
export async function openIdbBackend (options: IdbBackendOptions): Promise<IdbBackend> {
  let state: { readonly kind: 'open' } | { readonly kind: 'closed', readonly reason: string } = { kind: 'open' }
  const database = await openIdbConnection({
    name: options.name,
    storeNames: [BLOCK_STORE, META_STORE, ...(options.extraStores ?? [])],
    onClosed (reason) {
      if (state.kind === 'closed') return
      state = { kind: 'closed', reason }
      options.onUnexpectedClose?.(new StoreClosedError(`IndexedDB backend ${options.name} closed: ${reason}`))
    }
  })

  const check = (options?: StoreCallOptions): void => {
    if (state.kind === 'closed') throw new StoreClosedError(`IndexedDB backend ${database.name} is closed (${state.reason})`)
    throwIfAborted(options?.signal)
  }
  const transaction = <Mode extends IDBTransactionMode>(store: string, mode: Mode): IDBPTransaction<unknown, [string], Mode> => {
    try {
      return database.transaction(store, mode)
    } catch (cause) {
      // InvalidStateError: the connection closed between our check and here.
      throw new StoreClosedError(`IndexedDB backend ${database.name} is closed`, { cause })
    }
  }
  /** Runs `issue` in one readwrite transaction over `stores`, aborting it on failure or abort signal. */
  const writeAcross = async (stores: string[], issue: (tx: IDBTransaction) => void, signal?: AbortSignal): Promise<void> => {
    let tx: IDBPTransaction<unknown, string[], 'readwrite'>
    try {
      tx = database.transaction(stores, 'readwrite')
    } catch (cause) {
      // InvalidStateError: the connection closed between our check and here.
      throw new StoreClosedError(`IndexedDB backend ${database.name} is closed`, { cause })
    }
    const abort = (): void => {
      try {
        tx.abort()
      } catch (error) {
        // InvalidStateError: already committed or aborted, so there is nothing left to undo.
        if ((error as { name?: unknown } | null)?.name !== 'InvalidStateError') throw error
      }
    }
    // The first failed request's error, which is what the caller should see (the transaction only says it aborted).
    let failed: unknown
    const native = unwrap(tx)
    const onError = (event: Event): void => { failed ??= (event.target as IDBRequest | null)?.error ?? undefined }
    native.addEventListener('error', onError)
    signal?.addEventListener('abort', abort, { once: true })
    try {
      issue(native)
      await tx.done
    } catch (error) {
      abort()
      if (signal?.aborted === true) throw new AbortError('The write was aborted before it committed', { cause: error })
      throw failed ?? error
    } finally {
      native.removeEventListener('error', onError)
      signal?.removeEventListener('abort', abort)
    }
  }
  const write = async (store: string, issue: (store: IDBObjectStore) => void, signal?: AbortSignal): Promise<void> =>
    await writeAcross([store], (tx) => { issue(tx.objectStore(store)) }, signal)
  const read = async (store: string, key: string): Promise<Uint8Array | undefined> => {
    const value: unknown = await transaction(store, 'readonly').objectStore(store).get(key)
    return value === undefined ? undefined : asBytes(value, store)
  }
  const exists = async (store: string, key: string): Promise<boolean> =>
    (await transaction(store, 'readonly').objectStore(store).getKey(key)) !== undefined

  /** `get` and `has` of one object store, as both stores answer them. */
  const lookups = (store: string): Pick<KeyValueStore, 'get' | 'has'> => ({
    async get (key, options) { check(options); return await read(store, key) },
    async has (key, options) { check(options); return await exists(store, key) }
  })

  const blocks: BlockStore = {
    ...lookups(BLOCK_STORE),
    async putMany (input, options) {
      check(options)
      const checked = copyBlocks(input, ownedBytes)
      if (checked.length > 0) await write(BLOCK_STORE, store => { for (const b of checked) store.put(b.bytes, b.cid) }, options?.signal)
    },
    async deleteMany (cids, options) {
      check(options)
      const checked = copyCids(cids)
      if (checked.length > 0) await write(BLOCK_STORE, store => { for (const cid of checked) store.delete(cid) }, options?.signal)
    }
  }

  const meta: KeyValueStore = {
    ...lookups(META_STORE),
    async batch (operations, options) {
      check(options)
      const checked = copyBatchOperations(operations, ownedBytes)
      if (checked.length === 0) return
      await write(META_STORE, store => issueMetaOperations(store, checked), options?.signal)
    },
    async * list (prefix, options) {
      check(options)
      const tx = transaction(META_STORE, 'readonly')
      const range = prefixRange(prefix)
      const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range), tx.done])
      for (let i = 0; i < keys.length; i++) {
        check(options)
        yield [String(keys[i]), asBytes(values[i], META_STORE)] as const
      }
    }
  }

  return {
    blocks,
    meta,
    database,
    async commit (input, operations, options) {
      check(options)
      const checkedBlocks = copyBlocks(input, ownedBytes)
      const checkedOps = copyBatchOperations(operations, ownedBytes)
      await writeAcross([BLOCK_STORE, META_STORE], (tx) => {
        const blockStore = tx.objectStore(BLOCK_STORE)
        for (const b of checkedBlocks) blockStore.put(b.bytes, b.cid)
        issueMetaOperations(tx.objectStore(META_STORE), checkedOps)
      }, options?.signal)
    },
    async close () {
      if (state.kind === 'closed') return
      state = { kind: 'closed', reason: 'closed by its owner' }
      // Transactions already started still commit; IndexedDB closes after them.
      database.close()
    }
  }
}

/**
 * The key range holding exactly the keys that start with `prefix`: from the prefix
 * (inclusive) to its successor (exclusive). A plain `prefix + '\uffff'` upper bound
 * would miss keys such as `prefix + '\uffff\uffff'`.
 */
export function prefixRange (prefix: string): IDBKeyRange | undefined {
  if (prefix === '') return undefined
  for (let end = prefix.length - 1; end >= 0; end--) {
    const unit = prefix.charCodeAt(end)
    if (unit < 0xffff) return IDBKeyRange.bound(prefix, prefix.slice(0, end) + String.fromCharCode(unit + 1), false, true)
  }
  return IDBKeyRange.lowerBound(prefix) // the prefix is all U+FFFF: no successor exists
}

/**
 * Bytes to hand to a put: the caller's own array when it is a plain Uint8Array
 * spanning its whole buffer (the put clones it there and then, so later changes
 * cannot leak in), else a copy, so a small view never stores its large buffer.
 */
function ownedBytes (bytes: Uint8Array): Uint8Array {
  const plain = Object.getPrototypeOf(bytes) === Uint8Array.prototype
  return plain && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : copyBytes(bytes)
}

function asBytes (value: unknown, store: string): Uint8Array {
  if (value instanceof Uint8Array) return value // structured clone already gave us a fresh copy
  throw new MalformedRecordError(`A value in IndexedDB store ${store} is not a Uint8Array`)
}
