/**
 * A StorageBackend in one SQLite database (Node's built-in `node:sqlite`), for the
 * follower: its records are read with pread into SQLite's own bounded page cache,
 * not through a memory map of the whole file, so serving many threads does not
 * leave the database file resident in the process (with LMDB's map every page a
 * read visited stayed in RSS, each fault mapping 64 KB around it, and reads of
 * hash-keyed blocks scattered over all of the file).
 *
 * Layout: `threads.sqlite` (and its `-wal`) under `directory`; table `blocks`
 * (CID → bytes, in insertion order, so a push's blocks sit together on disk) and
 * `meta` (key → value, clustered by key). Guarantees, beyond those of interfaces.ts:
 * - every write is committed by a writer thread holding the database's only
 *   writing connection (sqlite-writer.ts), so neither the commit's B-tree work nor
 *   the checkpoints it triggers run on the event loop; this connection only reads;
 * - a write is applied in one SQLite transaction (WAL) before its call goes on,
 *   so it survives kill -9 once applied; with `durable` (the default) a call resolves
 *   once the write-ahead log holding it is fsynced, so it survives power loss too;
 * - group commit: writes applied while an fsync runs share the next one, so many
 *   concurrent batches cost one fsync; `commitApplied` resolves once applied and
 *   hands back the sync, so a caller that orders its writes can apply the next
 *   while this one syncs;
 * - `batch`, `putMany`, `deleteMany` and `commit` (blocks and meta together) are
 *   each one transaction: all-or-nothing across crashes, never seen half-applied;
 * - keys are stored so that byte order is string order (ordered-keys.ts), and
 *   `list` reads one snapshot;
 * - values are fresh, plain Uint8Arrays.
 * One process at a time should write a directory (the follower keeps to one).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { StoreClosedError, throwIfAborted } from '../../core/errors.ts'
import type { BatchOperation, BlockStore, KeyValueStore, RawBlock, StorageBackend, StoreCallOptions } from '../../core/storage/interfaces.ts'
import { copyBatchOperations, copyBlocks, copyBytes, copyCids } from '../../core/storage/memory.ts'
import { decodeOrderedKey, encodeOrderedKey } from './ordered-keys.ts'
import { META_KEY_LEAD, packWrite, type PackedWrite } from './sqlite-write-batch.ts'
import { startSqliteWriter, type SqliteWriter } from './sqlite-writer.ts'
import { walSyncer } from './wal-syncer.ts'

/** Options of openSqliteBackend. */
export interface SqliteBackendOptions {
  /** Directory holding the database; created if missing. */
  readonly directory: string
  /** Resolve writes only once synced to disk, so they survive power loss. Default true. */
  readonly durable?: boolean
  /** SQLite's page cache, in KiB: what the process holds of the file at most. Default 8 MiB. */
  readonly cacheKib?: number
  readonly signal?: AbortSignal
}

/** The database file's name inside the directory. */
export const SQLITE_FILE = 'threads.sqlite'
const DEFAULT_CACHE_KIB = 8 * 1024
/**
 * Pages (4 KiB) the write-ahead log may hold before a commit checkpoints it: 32 MiB of disk. A checkpoint
 * copies each page the log holds once, however often it was written since the last, and the pages records
 * touch most (their logs' index rows, heads, counts) are written by nearly every commit; so a longer log
 * means fewer copies and syncs. With 200 clients pushing at once (`npm run bench -- follower`), commits
 * took 2.2–2.8 s of the event loop's time at SQLite's default of 1,000 pages and 1.2–1.5 s at 8,000, over
 * runs of about ten seconds, for 1,705–2,036 records/s against 1,441–2,036 (three runs each, alternated),
 * when commits still ran on the event loop; they now run in the writer thread, where fewer copies still
 * leave more of the second core to the rest.
 */
const WAL_CHECKPOINT_PAGES = 8192
/** The writer thread's page cache, in KiB: the pages its inserts walk (interior pages, the tables' last leaves). */
const WRITER_CACHE_KIB = 2 * 1024

/**
 * Opens (creating if needed) a SQLite backend in `directory`.
 * @example
 * const backend = await openSqliteBackend({ directory: '/var/lib/threads/records' })
 */
export async function openSqliteBackend (options: SqliteBackendOptions): Promise<StorageBackend> {
  throwIfAborted(options.signal)
  const durable = options.durable ?? true
  await mkdir(options.directory, { recursive: true })
  const path = join(options.directory, SQLITE_FILE)
  const db = new DatabaseSync(path)
  // WAL: a commit appends to the log without fsync (NORMAL); durability is the fsync below,
  // run off the event loop and shared by every commit made while the one before it ran.
  // No memory map: pages are read into a cache of bounded size.
  // Checkpoints (copying the log into the database file, and syncing both) run inside a commit of the writer
  // thread once the log passes WAL_CHECKPOINT_PAGES; see its comment for why that is more than SQLite's 1,000.
  db.exec(`pragma journal_mode = wal; pragma synchronous = normal; pragma mmap_size = 0; pragma cache_size = -${options.cacheKib ?? DEFAULT_CACHE_KIB};
    create table if not exists blocks (id integer primary key, cid blob not null unique, bytes blob not null);
    create table if not exists meta (k blob primary key, v blob not null) without rowid;`)
  // Every write goes through the writer thread's connection; this one only reads.
  let writer: SqliteWriter
  try {
    writer = await startSqliteWriter({ path, cacheKib: WRITER_CACHE_KIB, checkpointPages: WAL_CHECKPOINT_PAGES })
  } catch (error) {
    db.close()
    throw error
  }
  const sql = {
    getBlock: db.prepare('select bytes from blocks where cid = ?'),
    hasBlock: db.prepare('select 1 from blocks where cid = ?'),
    getMeta: db.prepare('select v from meta where k = ?'),
    hasMeta: db.prepare('select 1 from meta where k = ?'),
    listFrom: db.prepare('select k, v from meta where k >= ? order by k'),
    listRange: db.prepare('select k, v from meta where k >= ? and k < ? order by k')
  }

  let closed = false
  let closing: Promise<void> | undefined
  const sync = durable ? walSyncer(path) : undefined

  const check = (options?: StoreCallOptions): void => {
    if (closed || closing !== undefined) throw new StoreClosedError(`The SQLite backend at ${path} is closed`)
    throwIfAborted(options?.signal)
  }

  /** Commits `write` through the writer thread; `synced` resolves once it is on disk. */
  const applyWrite = async (write: PackedWrite): Promise<{ synced: Promise<void> }> => {
    await writer.write(write)
    return { synced: sync?.afterCommit() ?? Promise.resolve() }
  }
  const commitApplied = async (input: readonly RawBlock[], operations: readonly BatchOperation[], options?: StoreCallOptions): Promise<{ synced: Promise<void> }> => {
    check(options)
    // Checked here, so a bad batch fails whole before anything is sent; packing copies the bytes.
    return await applyWrite(packWrite(copyBlocks(input, same), copyBatchOperations(operations, same)))
  }
  const commit = async (input: readonly RawBlock[], operations: readonly BatchOperation[], options?: StoreCallOptions): Promise<void> => {
    await (await commitApplied(input, operations, options)).synced
  }
  /** get and has over one table. */
  const lookups = (get: StatementSync, has: StatementSync, toKey: (id: string) => Uint8Array): Pick<BlockStore, 'get' | 'has'> => ({
    async get (id, options) {
      check(options)
      const row = get.get(toKey(id)) as Record<string, Uint8Array> | undefined
      return row === undefined ? undefined : bytesOut(Object.values(row)[0]!)
    },
    async has (id, options) { check(options); return has.get(toKey(id)) !== undefined }
  })

  const blocks: BlockStore = {
    ...lookups(sql.getBlock, sql.hasBlock, blockKey),
    async putMany (input, options) { await commit(input, [], options) },
    async deleteMany (cids, options) {
      check(options)
      const checked = copyCids(cids)
      checked.forEach(checkCid) // before anything is sent
      await (await applyWrite(packWrite([], [], checked))).synced
    }
  }

  const meta: KeyValueStore = {
    ...lookups(sql.getMeta, sql.hasMeta, metaKey),
    async batch (operations, options) { await commit([], operations, options) },
    async * list (prefix, options) {
      check(options)
      // The whole range is read at once, by one statement: one snapshot.
      const start = metaKey(prefix)
      const end = successor(start)
      const rows = (end === undefined ? sql.listFrom.all(start) : sql.listRange.all(start, end)) as Array<{ k: Uint8Array, v: Uint8Array }>
      for (const row of rows) {
        check(options)
        yield [decodeOrderedKey(row.k.subarray(1)), bytesOut(row.v)] as const
      }
    }
  }

  return {
    blocks,
    meta,
    commit,
    commitApplied,
    async close () {
      closing ??= (async () => {
        // Writes given before close are committed by the writer thread before it closes; then their syncs.
        await writer.close()
        await sync?.close()
        closed = true
        db.close()
      })()
      await closing
    }
  }
}

/** The input checks' copy step left out: packWrite copies every byte it takes. */
const same = (bytes: Uint8Array): Uint8Array => bytes

/** A plain Uint8Array owning its buffer, from what SQLite returned. */
export function bytesOut (bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.constructor === Uint8Array ? bytes : copyBytes(bytes)
}

/** The smallest byte string after every string that starts with `key`, or undefined if there is none. */
function successor (key: Uint8Array): Uint8Array | undefined {
  let end = key.length
  while (end > 0 && key[end - 1] === 0xff) end--
  if (end === 0) return undefined
  const next = key.slice(0, end)
  next[end - 1]!++
  return next
}

/** The stored form of a block's CID. */
function blockKey (cid: string): Uint8Array {
  checkCid(cid)
  return encodeOrderedKey(cid)
}
/** Refuses what no block can be stored under, as a lookup and a delete both do. */
function checkCid (cid: string): void {
  if (typeof cid !== 'string' || cid === '') throw new TypeError('A CID must be a non-empty string')
}

/** The stored form of a meta key. */
function metaKey (key: string): Uint8Array {
  if (typeof key !== 'string') throw new TypeError('A key must be a string')
  const encoded = encodeOrderedKey(key)
  const stored = new Uint8Array(encoded.length + 1)
  stored[0] = META_KEY_LEAD
  stored.set(encoded, 1)
  return stored
}
