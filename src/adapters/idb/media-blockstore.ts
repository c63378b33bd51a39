/**
 * The background node's media blocks in IndexedDB (through idb), as a Helia
 * `Blockstore`: encrypted chunks of originals, previews and thumbnails, and
 * their manifests, kept apart from the database's records in a database of
 * their own, so they can be evicted and counted without touching a log.
 *
 * Guarantees:
 * - one object store, `blocks`, keyed by the base32 multihash of each CID (a
 *   block is found whatever codec a CID names it with), valued by the bytes;
 * - puts arriving in the same turn, or while another put's transaction is
 *   being written (several photos stored at once), share ONE readwrite
 *   transaction, and
 *   `putMany` writes in transactions of up to {@link BATCH_BLOCKS} blocks or
 *   {@link BATCH_BYTES} bytes, so receiving a file over bitswap costs a
 *   transaction per batch, not per block; a put resolves once its
 *   transaction committed; likewise `has` calls of one turn (Helia asks
 *   before each put) share one readonly transaction, and so do `get` calls
 *   of one turn (the grid opening thumbnails a few at a time);
 * - `get` of a missing block throws interface-store's `NotFoundError`, as
 *   Helia expects of every blockstore (it then asks bitswap);
 * - it stores what it is given: Helia checks that fetched bytes hash to their
 *   CID before they reach it, and readers check again (src/core media).
 */
import { BaseBlockstore } from 'blockstore-core/base'
import { openDB, type IDBPDatabase, type IDBPObjectStore } from 'idb'
import type { InputPair, Pair } from 'interface-blockstore'
import { NotFoundError } from 'interface-store'
import { base32 } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'
import { StoreClosedError } from '../../core/errors.ts'
import { groupWrites } from '../../core/group-writes.ts'
import { concatBytes } from '@noble/hashes/utils.js'

/** The object store of blocks. */
const BLOCKS = 'blocks'
/** Blocks and bytes written in one transaction by `putMany` at most. */
export const BATCH_BLOCKS = 64
export const BATCH_BYTES = 16 * 1024 * 1024

type AbortOptions = { readonly signal?: AbortSignal }

/** A Helia blockstore in IndexedDB, with what the node needs beyond Helia's interface. */
export interface IdbMediaBlockstore extends BaseBlockstore {
  close(): Promise<void>
}

/** Opens (creating if needed) the media block database `name`. */
export async function openIdbMediaBlockstore (name: string): Promise<IdbMediaBlockstore> {
  let closed = false
  const database: IDBPDatabase = await openDB(name, 1, {
    upgrade (db) { if (!db.objectStoreNames.contains(BLOCKS)) db.createObjectStore(BLOCKS) },
    blocking () { database.close(); closed = true },
    terminated () { closed = true }
  })
  const check = (options?: AbortOptions): void => {
    if (closed) throw new StoreClosedError(`The media block database ${name} is closed`)
    options?.signal?.throwIfAborted()
  }
  const keyOf = (cid: CID): string => base32.encode(cid.multihash.bytes)

  /** Writes `pairs` in one transaction. */
  const write = async (pairs: ReadonlyArray<readonly [string, Uint8Array]>): Promise<void> => {
    const tx = database.transaction(BLOCKS, 'readwrite')
    for (const [key, bytes] of pairs) void tx.store.put(owned(bytes), key)
    await tx.done
  }

  // Group commit: puts of one turn, and those made while a transaction is being written, share the next one.
  const putGrouped = groupWrites(write)

  // Group reads: `has` calls of one turn share a transaction, and so do `get` calls.
  const readsOfATurn = <T>(read: (store: IDBPObjectStore<unknown, [typeof BLOCKS], typeof BLOCKS>, key: string) => Promise<T>): (key: string) => Promise<T> => {
    let asked: Array<{ key: string, resolve: (value: T) => void, reject: (error: unknown) => void }> = []
    const answer = (): void => {
      const batch = asked
      asked = []
      Promise.resolve().then(async () => {
        const tx = database.transaction(BLOCKS, 'readonly')
        return await Promise.all(batch.map(async (a) => await read(tx.store, a.key)))
      }).then(
        (values) => { batch.forEach((a, i) => { a.resolve(values[i]!) }) },
        (error: unknown) => { for (const a of batch) a.reject(error) })
    }
    return async (key) => await new Promise<T>((resolve, reject) => {
      if (asked.length === 0) queueMicrotask(answer)
      asked.push({ key, resolve, reject })
    })
  }
  const holds = readsOfATurn(async (store, key) => await store.getKey(key) !== undefined)
  const valueOf = readsOfATurn(async (store, key): Promise<unknown> => await store.get(key))

  class Store extends BaseBlockstore implements IdbMediaBlockstore {
    override async put (cid: CID, value: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options?: AbortOptions): Promise<CID> {
      check(options)
      const bytes = await joined(value)
      await putGrouped([keyOf(cid), bytes])
      return cid
    }

    override async * putMany (source: Iterable<InputPair> | AsyncIterable<InputPair>, options?: AbortOptions): AsyncGenerator<CID> {
      let batch: Array<readonly [string, Uint8Array]> = []
      let cids: CID[] = []
      let size = 0
      for await (const { cid, bytes } of source) {
        check(options)
        const value = await joined(bytes)
        batch.push([keyOf(cid), value])
        cids.push(cid)
        size += value.byteLength
        if (batch.length >= BATCH_BLOCKS || size >= BATCH_BYTES) {
          await write(batch)
          yield * cids
          batch = []; cids = []; size = 0
        }
      }
      if (batch.length > 0) await write(batch)
      yield * cids
    }

    override async * get (cid: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
      check(options)
      const value = await valueOf(keyOf(cid))
      if (!(value instanceof Uint8Array)) throw new NotFoundError(`No block ${cid.toString()} in ${name}`)
      yield value
    }

    override async has (cid: CID, options?: AbortOptions): Promise<boolean> {
      check(options)
      return await holds(keyOf(cid))
    }

    override async delete (cid: CID, options?: AbortOptions): Promise<void> {
      check(options)
      await database.delete(BLOCKS, keyOf(cid))
    }

    override async * deleteMany (source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions): AsyncGenerator<CID> {
      let batch: CID[] = []
      const drop = async (): Promise<void> => {
        const tx = database.transaction(BLOCKS, 'readwrite')
        for (const cid of batch) void tx.store.delete(keyOf(cid))
        await tx.done
      }
      for await (const cid of source) {
        check(options)
        batch.push(cid)
        if (batch.length >= BATCH_BLOCKS * 4) { await drop(); yield * batch; batch = [] }
      }
      if (batch.length > 0) await drop()
      yield * batch
    }

    /** Every block, read a page at a time (never the whole store in memory). */
    override async * getAll (options?: AbortOptions): AsyncGenerator<Pair> {
      let after: string | undefined
      for (;;) {
        check(options)
        const range = after === undefined ? undefined : IDBKeyRange.lowerBound(after, true)
        const tx = database.transaction(BLOCKS, 'readonly')
        const [keys, values] = await Promise.all([tx.store.getAllKeys(range, BATCH_BLOCKS), tx.store.getAll(range, BATCH_BLOCKS)])
        if (keys.length === 0) return
        for (let i = 0; i < keys.length; i++) {
          const value = values[i] as Uint8Array
          yield { cid: CID.createV1(raw.code, Digest.decode(base32.decode(String(keys[i])))), bytes: (function * () { yield value })() }
        }
        after = String(keys.at(-1))
      }
    }

    async close (): Promise<void> {
      closed = true
      database.close()
    }
  }
  return new Store()
}

/** One Uint8Array of a value Helia hands in whole or in parts. */
async function joined (value: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  if (value instanceof Uint8Array) return value
  const parts: Uint8Array[] = []
  for await (const part of value) parts.push(part)
  return parts.length === 1 ? parts[0]! : concatBytes(...parts)
}

/** A view never stores its (possibly much larger) backing buffer. */
function owned (bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()
}
