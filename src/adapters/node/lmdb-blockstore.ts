/**
 * A Helia blockstore (interface-blockstore) in an LMDB database (through
 * `lmdb`): where the follower keeps media blocks, served over bitswap.
 *
 * Layout: one LMDB file `blocks.mdb` under `directory`, one named database
 * `blocks`, keyed by the block's multihash (as every blockstore of the IPFS
 * ecosystem keys them, so a raw and a dag-cbor CID of one digest are one
 * block). Writes queued in one event turn share a transaction (lmdb's own
 * batching) and a put resolves once it is committed, and with `durable` (the
 * default) synced to disk. Values are stored as given and read back as fresh
 * Uint8Arrays; a missing block is interface-store's NotFoundError, as Helia
 * expects.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { BaseBlockstore } from 'blockstore-core/base'
import type { Pair } from 'interface-blockstore'
import { NotFoundError } from 'interface-store'
import { open, type Database, type RootDatabase } from 'lmdb'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'
import { wholeBlock } from './block-parts.ts'
import { LMDB_BLOCKSTORE_FILE, LMDB_MAP_BYTES } from './lmdb-files.ts'

/** Options of openLmdbBlockstore. */
export interface LmdbBlockstoreOptions {
  /** Directory holding the database; created if missing. */
  readonly directory: string
  /** Resolve puts only once synced to disk. Default true. */
  readonly durable?: boolean
}

/** An interface-blockstore over LMDB, with `close` and the bytes it holds. */
export class LmdbBlockstore extends BaseBlockstore {
  readonly #root: RootDatabase
  readonly #db: Database<Buffer, Buffer>

  constructor (root: RootDatabase) {
    super()
    this.#root = root
    this.#db = root.openDB({ name: 'blocks', keyEncoding: 'binary', encoding: 'binary', compression: false, cache: false })
  }

  override async put (cid: CID, value: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<CID> {
    const bytes = await wholeBlock(value)
    await this.#db.put(keyOf(cid), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    return cid
  }

  override async * get (cid: CID): AsyncGenerator<Uint8Array> {
    const value = this.#db.getBinary(keyOf(cid))
    if (value === undefined) throw new NotFoundError(`block ${cid.toString()} is not held`)
    yield ownUint8Array(value)
  }

  override has (cid: CID): boolean {
    return this.#db.doesExist(keyOf(cid))
  }

  override async delete (cid: CID): Promise<void> {
    await this.#db.remove(keyOf(cid))
  }

  override async * getAll (): AsyncGenerator<Pair> {
    for (const { key, value } of this.#db.getRange()) {
      const bytes = new Uint8Array(value)
      yield { cid: CID.createV1(raw.code, Digest.decode(new Uint8Array(key))), bytes: (async function * () { yield bytes })() }
    }
  }

  /** Bytes of every block held (for reports and tests). */
  byteLength (): number {
    let total = 0
    for (const { value } of this.#db.getRange()) total += value.length
    return total
  }

  async close (): Promise<void> {
    await this.#root.close()
  }
}

/** Opens (creating if needed) an LMDB blockstore in `directory`. */
export async function openLmdbBlockstore (options: LmdbBlockstoreOptions): Promise<LmdbBlockstore> {
  await mkdir(options.directory, { recursive: true })
  // A map reserved at once, as for the record store (lmdb-backend.ts), is never remapped as the file grows.
  return new LmdbBlockstore(open({ path: join(options.directory, LMDB_BLOCKSTORE_FILE), maxDbs: 1, noSync: options.durable === false, mapSize: LMDB_MAP_BYTES }))
}

const keyOf = (cid: CID): Buffer => Buffer.from(cid.multihash.bytes)

/**
 * `value` (a copy lmdb just made) as a plain Uint8Array: over the same memory
 * when the Buffer owns its whole ArrayBuffer (a block of a few kB or more),
 * copied when it is a slice of Node's shared pool (a small one). Serving a
 * thumbnail pack then copies its MiB once, not twice.
 */
function ownUint8Array (value: Buffer): Uint8Array {
  return value.byteOffset === 0 && value.buffer.byteLength === value.byteLength ? new Uint8Array(value.buffer) : new Uint8Array(value)
}
