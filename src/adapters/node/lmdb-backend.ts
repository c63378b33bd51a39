/**
 * A StorageBackend in an LMDB database (through `lmdb`), for Node programs using
 * the database API (the follower keeps its records in SQLite, sqlite-backend.ts).
 *
 * Layout: one LMDB file `threads.mdb` (and its lock file) under `directory`, with
 * two named databases, `blocks` (CID → bytes) and `meta` (key → value). Guarantees,
 * beyond those of interfaces.ts:
 * - a call resolves once its write is committed; with `durable` (the default) also
 *   once it is synced to disk, so it survives power loss, not only kill -9;
 * - durable, group commit: every write queued in one event turn goes into one LMDB
 *   transaction, and transactions committed while a sync runs share the next one,
 *   so many concurrent batches cost one fsync, not one each; `commitApplied`
 *   resolves at commit and hands back the sync, so a caller that orders its
 *   writes can have the next committed while this one syncs;
 * - not durable, each call is one transaction committed at once on the calling
 *   thread (nothing waits on the disk, so no writer thread is worth its hand-off);
 * - `batch`, `putMany`, `deleteMany` and `commit` (blocks and meta together) are
 *   each one transaction: all-or-nothing across crashes, never seen half-applied;
 * - keys are stored so that byte order is string order (ordered-keys.ts), written
 *   straight into lmdb's own buffer, and `list` reads one snapshot; a key over
 *   LMDB's size limit gets TooLargeError;
 * - values are copied before a write is queued (each write's values into one
 *   buffer) and come back as fresh, plain Uint8Arrays.
 * Several processes may open the same directory (LMDB locks).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { open, type Database } from 'lmdb'
import { StoreClosedError, throwIfAborted, TooLargeError } from '../../core/errors.ts'
import type { BatchOperation, BlockStore, KeyValueStore, RawBlock, StorageBackend, StoreCallOptions } from '../../core/storage/interfaces.ts'
import { copyBatchOperations, copyBlocks, copyBytes, copyCids } from '../../core/storage/memory.ts'
import { LMDB_FILE, LMDB_MAP_BYTES } from './lmdb-files.ts'
import { decodeOrderedKey, encodeOrderedKey, orderedKeyLength, writeOrderedKey } from './ordered-keys.ts'

/** Options of openLmdbBackend. */
export interface LmdbBackendOptions {
  /** Directory holding the database; created if missing. */
  readonly directory: string
  /** Resolve writes only once synced to disk, so they survive power loss. Default true. */
  readonly durable?: boolean
  readonly signal?: AbortSignal
}

/** LMDB's largest key with its default page size, in bytes. */
const MAX_KEY_BYTES = 1978
/** LMDB refuses empty keys, so every meta key is stored behind this byte (the empty key included). */
const META_KEY_LEAD = 0x6b

/**
 * Opens (creating if needed) an LMDB backend in `directory`.
 * @example
 * const backend = await openLmdbBackend({ directory: '/var/lib/threads/store' })
 */
export async function openLmdbBackend (options: LmdbBackendOptions): Promise<StorageBackend> {
  throwIfAborted(options.signal)
  const durable = options.durable ?? true
  await mkdir(options.directory, { recursive: true })
  const path = join(options.directory, LMDB_FILE)
  const root = open({
    path,
    maxDbs: 2,
    // Without fsync a commit still reaches the OS before it resolves, so it survives kill -9.
    noSync: !durable,
    // The map is address space, not memory: reserved large at once, it is never remapped as the
    // file grows (lmdb-js keeps each outgrown map, so a growing database was mapped, and resident,
    // several times over).
    mapSize: LMDB_MAP_BYTES
  })
  const databaseOptions = { encoding: 'binary', compression: false, cache: false } as const
  // lmdb's typings declare `keyEncoder` on the root only; every database takes it (README, "Custom key encoding").
  const blocksOptions = { name: 'blocks', keyEncoder: orderedKeyEncoder(), ...databaseOptions }
  const metaOptions = { name: 'meta', keyEncoder: orderedKeyEncoder(META_KEY_LEAD), ...databaseOptions }
  const blockDb: Database<Buffer, string> = root.openDB(blocksOptions)
  const metaDb: Database<Buffer, string> = root.openDB(metaOptions)

  let closing: Promise<void> | undefined
  const inFlight = new Set<Promise<void>>()

  const check = (options?: StoreCallOptions): void => {
    if (closing !== undefined) throw new StoreClosedError(`The LMDB backend at ${path} is closed`)
    throwIfAborted(options?.signal)
  }

  /**
   * Queues `apply`'s writes as one transaction; resolves once it is committed
   * (visible to reads) with `synced`, which resolves once it is on disk (at
   * once when not durable). Transactions committed while a sync runs share
   * the next one (LMDB's overlapping sync).
   */
  const applyWrite = async (apply: () => void): Promise<{ synced: Promise<void> }> => {
    if (!durable) {
      // Nothing to wait for on disk, so the transaction is committed here and now: handing it to
      // lmdb's writer thread and hearing back took about half of an awaited write's time. The commit
      // still reaches the OS before this resolves (kill -9 loses nothing), and the dispatcher already
      // puts a turn's commands in one call.
      root.transactionSync(apply)
      return { synced: Promise.resolve() }
    }
    const committed = root.batch(apply)
    // Asked for at once: `flushed` names the flush of the newest write when it is asked, so asked
    // later it would wait for writes queued after this one; asking also makes lmdb flush promptly.
    const flushed = durable ? new Promise<void>((resolve, reject) => { root.flushed.then(() => resolve(), reject) }) : undefined
    const done = (async () => {
      await committed
      await flushed
    })()
    inFlight.add(done)
    void done.then(() => inFlight.delete(done), () => inFlight.delete(done))
    await committed
    return { synced: done }
  }
  /** Queues `apply`'s writes as one transaction and resolves once they are committed (and synced, if durable). */
  const write = async (apply: () => void): Promise<void> => { await (await applyWrite(apply)).synced }
  /** Blocks and meta operations, checked and copied whole before one transaction applies them. */
  const commitApplied = async (input: readonly RawBlock[], operations: readonly BatchOperation[], options?: StoreCallOptions): Promise<{ synced: Promise<void> }> => {
    check(options)
    const copies = copiedIntoOne(input, operations)
    for (const block of copies.blocks) blockKey(block.cid)
    for (const op of copies.operations) metaKey(op.key)
    return await applyWrite(() => {
      for (const block of copies.blocks) void blockDb.put(block.cid, block.bytes as Buffer)
      for (const op of copies.operations) void (op.type === 'put' ? metaDb.put(op.key, op.value as Buffer) : metaDb.remove(op.key))
    })
  }
  const commit = async (input: readonly RawBlock[], operations: readonly BatchOperation[], options?: StoreCallOptions): Promise<void> => {
    await (await commitApplied(input, operations, options)).synced
  }
  /** get and has over one named database. */
  const lookups = (db: Database<Buffer, string>, toKey: (id: string) => string): Pick<BlockStore, 'get' | 'has'> => ({
    async get (id, options) { check(options); return read(db, toKey(id)) },
    async has (id, options) { check(options); return db.doesExist(toKey(id)) }
  })

  const blocks: BlockStore = {
    ...lookups(blockDb, blockKey),
    async putMany (input, options) { await commit(input, [], options) },
    async deleteMany (cids, options) {
      check(options)
      const keys = copyCids(cids).map(blockKey)
      await write(() => { for (const key of keys) void blockDb.remove(key) })
    }
  }

  const meta: KeyValueStore = {
    ...lookups(metaDb, metaKey),
    async batch (operations, options) { await commit([], operations, options) },
    async * list (prefix, options) {
      check(options)
      // The whole range is read at once, in one read transaction: one snapshot.
      for (const entry of readRange(metaDb, prefix)) { check(options); yield entry }
    }
  }

  return {
    blocks,
    meta,
    commit,
    commitApplied,
    async close () {
      closing ??= (async () => {
        // Let accepted writes finish before the environment goes away.
        await Promise.allSettled([...inFlight])
        await root.close()
      })()
      await closing
    }
  }
}

/** A fresh plain copy of the value under `key`, if any. */
function read (db: Database<Buffer, string>, key: string): Uint8Array | undefined {
  // getBinary's Buffer may be a subclass view: hand back a plain copy.
  const value = db.getBinary(key)
  return value === undefined ? undefined : copyBytes(value)
}

/** Every meta entry under `prefix`, in string order. */
function readRange (db: Database<Buffer, string>, prefix: string): Array<readonly [string, Uint8Array]> {
  // A prefix longer than any storable key has nothing under it.
  if (!fits(prefix)) return []
  const entries: Array<readonly [string, Uint8Array]> = []
  for (const { key, value } of db.getRange({ start: prefix })) {
    // Byte order is string order and the encoding is prefix-free: the keys under `prefix` come first, together.
    if (!key.startsWith(prefix)) break
    entries.push([key, copyBytes(value)] as const)
  }
  return entries
}

/**
 * Blocks and meta operations, checked, with every value copied into one
 * fresh buffer: later changes to the caller's arrays cannot leak in, and the
 * values of a write cost one allocation (and lmdb one address lookup) rather
 * than one each.
 */
function copiedIntoOne (input: readonly RawBlock[], operations: readonly BatchOperation[]): { blocks: RawBlock[], operations: BatchOperation[] } {
  const uncopied = (bytes: Uint8Array): Uint8Array => bytes
  const blocks = copyBlocks(input, uncopied)
  const checked = copyBatchOperations(operations, uncopied)
  let total = 0
  for (const block of blocks) total += block.bytes.length
  for (const op of checked) if (op.type === 'put') total += op.value.length
  const buffer = Buffer.allocUnsafeSlow(total)
  let at = 0
  const copy = (bytes: Uint8Array): Uint8Array => {
    const view = buffer.subarray(at, at + bytes.length)
    view.set(bytes)
    at += bytes.length
    return view
  }
  return {
    blocks: blocks.map((block) => ({ cid: block.cid, bytes: copy(block.bytes) })),
    operations: checked.map((op) => op.type === 'put' ? { type: 'put', key: op.key, value: copy(op.value) } : op)
  }
}

/**
 * lmdb's key encoder for string keys: each written straight into lmdb's own
 * buffer in the ordered encoding, behind `lead` where given, and read back.
 */
function orderedKeyEncoder (lead?: number): { writeKey: (key: string, target: Uint8Array, start: number) => number, readKey: (source: Uint8Array, start: number, end: number) => string } {
  const offset = lead === undefined ? 0 : 1
  return {
    writeKey (key, target, start) {
      if (lead !== undefined) {
        if (start >= target.length) throw new RangeError('The key does not fit in the buffer')
        target[start] = lead
      }
      return writeOrderedKey(key, target, start + offset)
    },
    readKey: (source, start, end) => decodeOrderedKey(source.subarray(start + offset, end))
  }
}

/** Whether `key`, stored behind `lead` bytes, is within LMDB's key size limit. */
function fits (key: string, lead = 1): boolean {
  return lead + key.length * 3 <= MAX_KEY_BYTES || lead + orderedKeyLength(key) <= MAX_KEY_BYTES
}

/** A block's CID, checked to be a storable key. */
function blockKey (cid: string): string {
  if (typeof cid !== 'string' || cid === '') throw new TypeError('A CID must be a non-empty string')
  return checkedKey(cid, 0)
}

/** A meta key, checked to be a storable key. */
function metaKey (key: string): string {
  if (typeof key !== 'string') throw new TypeError('A key must be a string')
  return checkedKey(key, 1)
}

function checkedKey (key: string, lead: number): string {
  if (!fits(key, lead)) {
    throw new TooLargeError(`A key of ${lead + orderedKeyLength(key)} bytes (${key.slice(0, 40)}…) is over the ${MAX_KEY_BYTES}-byte limit`)
  }
  return key
}
