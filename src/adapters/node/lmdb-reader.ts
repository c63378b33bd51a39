/**
 * Reads the named databases of an LMDB file in chunks, for carrying an old store
 * into SQLite once (migrate-lmdb-store.ts, migrate-lmdb-blockstore.ts). `lmdb` is
 * loaded here by a dynamic import, on the first call only: a follower with
 * nothing to migrate never loads the library (about 16 MB of resident memory),
 * and this module, free of any static import of it, bundles into the follower's
 * one file (scripts/build-follower.ts) while the package stays in node_modules.
 */
import { copyBytes } from '../../core/storage/memory.ts'
import { LMDB_MAP_BYTES } from './lmdb-files.ts'

/** One chunk of one database: keys and values, copied out of the map. */
export interface LmdbChunk {
  readonly name: string
  readonly pairs: ReadonlyArray<{ readonly key: Uint8Array, readonly value: Uint8Array }>
}

/**
 * Every pair of each database in `names` of the LMDB file at `path`, in key order,
 * in chunks of at most `maxPairs` pairs that stop once they hold `maxBytes` of
 * values or more; each chunk is read in one read transaction, and one chunk is
 * held in memory at a time.
 */
export async function * readLmdbChunks (input: { readonly path: string, readonly names: readonly string[], readonly maxPairs: number, readonly maxBytes: number }): AsyncGenerator<LmdbChunk> {
  const { open } = await import('lmdb')
  const root = open({ path: input.path, maxDbs: input.names.length, mapSize: LMDB_MAP_BYTES })
  try {
    for (const name of input.names) {
      const db = root.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary', compression: false, cache: false })
      let start: Buffer | undefined
      for (;;) {
        const pairs: Array<{ key: Uint8Array, value: Uint8Array }> = []
        let bytes = 0
        for (const { key, value } of db.getRange({ start, limit: input.maxPairs + 1 })) {
          // `start` is the last key of the chunk before: read again, skipped.
          if (start !== undefined && key.equals(start)) continue
          pairs.push({ key: copyBytes(key), value: copyBytes(value) })
          bytes += value.length
          if (pairs.length === input.maxPairs || bytes >= input.maxBytes) break
        }
        if (pairs.length === 0) break
        yield { name, pairs }
        start = Buffer.from(pairs[pairs.length - 1]!.key)
      }
    }
  } finally {
    await root.close()
  }
}
