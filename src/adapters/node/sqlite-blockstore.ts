/**
 * A Helia blockstore (interface-blockstore) in a SQLite database (Node's
 * built-in `node:sqlite`): where the follower keeps media blocks, served over
 * bitswap. Beside the record store (sqlite-backend.ts) it costs the process no
 * second storage engine: no LMDB library loaded, no memory map.
 *
 * Layout: `blocks.sqlite` (and its `-wal`) under `directory`, one table keyed by
 * the block's multihash (as every blockstore of the IPFS ecosystem keys them, so
 * a raw and a dag-cbor CID of one digest are one block). Blocks are at most a
 * MiB or so (media chunks and thumbnail packs), which SQLite keeps as blobs
 * in overflow pages. Guarantees:
 * - a put or delete is one SQLite transaction (WAL), applied before its call
 *   returns, so it survives kill -9 once applied; with `durable` (the default) it
 *   resolves once the log holding it is fsynced, and writes made while an fsync
 *   runs share the next one (group commit, wal-syncer.ts);
 * - reads go through SQLite's page cache of bounded size (`cacheKib`), not a
 *   memory map, so serving blocks leaves no file pages resident in the process;
 * - values are bound by copy and read back as fresh plain Uint8Arrays; a missing
 *   block is interface-store's NotFoundError, as Helia expects.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { BaseBlockstore } from 'blockstore-core/base'
import type { Pair } from 'interface-blockstore'
import { NotFoundError } from 'interface-store'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'
import { wholeBlock } from './block-parts.ts'
import { bytesOut } from './sqlite-backend.ts'
import { walSyncer, type WalSyncer } from './wal-syncer.ts'

/** The database file's name inside the directory. */
export const SQLITE_BLOCKSTORE_FILE = 'blocks.sqlite'
/** Blocks are large and read once each (a peer fetching them): a small cache does. */
const DEFAULT_CACHE_KIB = 2 * 1024
/** Blocks per page of getAll: one statement per page, so no read stays open across a yield. */
const PAGE = 64

/** Options of openSqliteBlockstore. */
export interface SqliteBlockstoreOptions {
  /** Directory holding the database; created if missing. */
  readonly directory: string
  /** Resolve writes only once synced to disk. Default true. */
  readonly durable?: boolean
  /** SQLite's page cache, in KiB. Default 2 MiB. */
  readonly cacheKib?: number
}

/** An interface-blockstore over SQLite, with `close` and the bytes it holds. */
export class SqliteBlockstore extends BaseBlockstore {
  readonly #db: DatabaseSync
  readonly #sync: WalSyncer | undefined
  readonly #sql

  constructor (input: { readonly db: DatabaseSync, readonly sync: WalSyncer | undefined }) {
    super()
    this.#db = input.db
    this.#sync = input.sync
    this.#sql = {
      get: input.db.prepare('select bytes from blocks where mh = ?'),
      has: input.db.prepare('select 1 from blocks where mh = ?'),
      put: input.db.prepare('insert or ignore into blocks (mh, bytes) values (?, ?)'),
      delete: input.db.prepare('delete from blocks where mh = ?'),
      firstPage: input.db.prepare('select mh, bytes from blocks order by mh limit ?'),
      page: input.db.prepare('select mh, bytes from blocks where mh > ? order by mh limit ?'),
      byteLength: input.db.prepare('select coalesce(sum(length(bytes)), 0) as total from blocks')
    }
  }

  override async put (cid: CID, value: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<CID> {
    const bytes = await wholeBlock(value)
    // Bound by copy and written at once: a later change to `bytes` reaches nothing.
    this.#sql.put.run(cid.multihash.bytes, bytes)
    await this.#synced()
    return cid
  }

  override async * get (cid: CID): AsyncGenerator<Uint8Array> {
    const row = this.#sql.get.get(cid.multihash.bytes) as { bytes: Uint8Array } | undefined
    if (row === undefined) throw new NotFoundError(`block ${cid.toString()} is not held`)
    yield bytesOut(row.bytes)
  }

  override has (cid: CID): boolean {
    return this.#sql.has.get(cid.multihash.bytes) !== undefined
  }

  override async delete (cid: CID): Promise<void> {
    this.#sql.delete.run(cid.multihash.bytes)
    await this.#synced()
  }

  override async * getAll (): AsyncGenerator<Pair> {
    // SQLite binds an empty byte string as NULL, so the first page has a statement of its own.
    let after: Uint8Array | undefined
    for (;;) {
      const rows = (after === undefined ? this.#sql.firstPage.all(PAGE) : this.#sql.page.all(after, PAGE)) as Array<{ mh: Uint8Array, bytes: Uint8Array }>
      for (const row of rows) {
        const bytes = bytesOut(row.bytes)
        yield { cid: CID.createV1(raw.code, Digest.decode(row.mh)), bytes: (async function * () { yield bytes })() }
      }
      if (rows.length < PAGE) return
      after = rows[rows.length - 1]!.mh
    }
  }

  /** Bytes of every block held (for reports and tests). */
  byteLength (): number {
    return Number((this.#sql.byteLength.get() as { total: number | bigint }).total)
  }

  async close (): Promise<void> {
    // Writes are applied as they are called: only their syncs may still run.
    await this.#sync?.close()
    this.#db.close()
  }

  async #synced (): Promise<void> {
    await this.#sync?.afterCommit()
  }
}

/** Opens (creating if needed) a SQLite blockstore in `directory`. */
export async function openSqliteBlockstore (options: SqliteBlockstoreOptions): Promise<SqliteBlockstore> {
  await mkdir(options.directory, { recursive: true })
  const path = join(options.directory, SQLITE_BLOCKSTORE_FILE)
  const db = new DatabaseSync(path)
  // As for the record store (sqlite-backend.ts): WAL appended without fsync, the fsync shared
  // off the event loop; no memory map; a page cache of bounded size.
  db.exec(`pragma journal_mode = wal; pragma synchronous = normal; pragma mmap_size = 0; pragma cache_size = -${options.cacheKib ?? DEFAULT_CACHE_KIB};
    create table if not exists blocks (mh blob primary key, bytes blob not null);`)
  return new SqliteBlockstore({ db, sync: options.durable === false ? undefined : walSyncer(path) })
}
