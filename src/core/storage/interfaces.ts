/**
 * Byte-level storage interfaces the core is written against.
 *
 * Guarantees every implementation must give (checked by the contract suite in
 * test/contracts/storage-contract.ts, run against memory, files and IndexedDB):
 * - values come back byte-for-byte as written, as fresh Uint8Array copies;
 * - `batch` is all-or-nothing: after a failure or crash no operation of it is visible;
 * - `list(prefix)` yields keys in ascending code-unit order;
 * - a closed store rejects further calls with `StoreClosedError`.
 *
 * Higher-level stores (blocks, address book, key book, heads, thread metadata)
 * are built once in core on top of these, so a new backend only implements bytes.
 */

/** One write of a batch: put a value under a key, or delete the key. */
export type BatchOperation =
  | { readonly type: 'put'; readonly key: string; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly key: string }

/** Options accepted by every async storage call. */
export interface StoreCallOptions {
  readonly signal?: AbortSignal
}

/** An ordered key-value store of bytes with atomic batches. */
export interface KeyValueStore {
  get(key: string, options?: StoreCallOptions): Promise<Uint8Array | undefined>
  has(key: string, options?: StoreCallOptions): Promise<boolean>
  /** Applies every operation or none of them. */
  batch(operations: readonly BatchOperation[], options?: StoreCallOptions): Promise<void>
  /** Entries whose key starts with `prefix`, in ascending key order. */
  list(prefix: string, options?: StoreCallOptions): AsyncIterable<readonly [string, Uint8Array]>
  close?(): Promise<void>
}

/** A raw block: the bytes and the string form (base32 CIDv1) of their CID. */
export interface RawBlock {
  readonly cid: string
  readonly bytes: Uint8Array
}

/**
 * A content-addressed block store. It stores what it is given; checking that
 * bytes match their CID is the caller's job on write and on read (see
 * core/log/verified-blocks.ts), so a corrupted disk is detected, not trusted.
 */
export interface BlockStore {
  get(cid: string, options?: StoreCallOptions): Promise<Uint8Array | undefined>
  has(cid: string, options?: StoreCallOptions): Promise<boolean>
  /** Stores every block or none of them. */
  putMany(blocks: readonly RawBlock[], options?: StoreCallOptions): Promise<void>
  deleteMany(cids: readonly string[], options?: StoreCallOptions): Promise<void>
  close?(): Promise<void>
}

/** A backend: a block store and a key-value store opened together. */
export interface StorageBackend {
  readonly blocks: BlockStore
  readonly meta: KeyValueStore
  /**
   * Stores blocks and applies meta operations in one atomic step, where the
   * backend can (IndexedDB: one transaction over both stores). Without it,
   * callers write the blocks first, then the meta batch.
   */
  commit?(blocks: readonly RawBlock[], operations: readonly BatchOperation[], options?: StoreCallOptions): Promise<void>
  /**
   * `commit` in two steps, where the backend syncs to disk apart from
   * applying: resolves once the write is applied (later reads see it, and
   * later writes come after it) with `synced`, which resolves once it is as
   * durable as `commit` would have made it. A caller that orders its writes
   * can start the next while this one syncs, so that many share one sync
   * (group commit); it must not report the write done before `synced`.
   */
  commitApplied?(blocks: readonly RawBlock[], operations: readonly BatchOperation[], options?: StoreCallOptions): Promise<{ readonly synced: Promise<void> }>
  close(): Promise<void>
}
