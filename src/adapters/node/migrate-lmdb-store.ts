/**
 * Moves an LMDB store (lmdb-backend.ts, the follower's record storage before
 * SQLite) into another backend, once, so a follower upgraded in place keeps what it held.
 *
 * Every block and every key is copied, a chunk per write, and only then is the old
 * directory renamed aside (to `<from>.migrated-<time>`): that rename is the commit point.
 * A crash before it leaves the old store where it was, and the next start copies
 * it again; the copies are plain puts, so copying twice changes nothing.
 * `lmdb` is loaded only when there is such a store (lmdb-reader.ts).
 */
import { rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { StorageBackend } from '../../core/storage/interfaces.ts'
import { LMDB_FILE } from './lmdb-files.ts'
import { readLmdbChunks } from './lmdb-reader.ts'
import type { MigratedFileStore } from './migrate-file-store.ts'
import { decodeOrderedKey } from './ordered-keys.ts'

/** Blocks or keys per write, and bytes of values: bound the memory a chunk holds. */
const CHUNK = 256
const CHUNK_BYTES = 16 * 1024 * 1024

/**
 * Copies the LMDB store in `from` into `to` and renames `from` aside; resolves
 * undefined, touching nothing, when there is no LMDB store at `from`.
 */
export async function migrateLmdbStore (input: { readonly from: string, readonly to: StorageBackend }): Promise<MigratedFileStore | undefined> {
  if (!await isFile(join(input.from, LMDB_FILE))) return undefined
  let blocks = 0
  let keys = 0
  for await (const { name, pairs } of readLmdbChunks({ path: join(input.from, LMDB_FILE), names: ['blocks', 'meta'], maxPairs: CHUNK, maxBytes: CHUNK_BYTES })) {
    if (name === 'blocks') {
      // Blocks are keyed by their CID's ordered encoding; meta keys follow a lead byte (lmdb-backend.ts).
      await input.to.blocks.putMany(pairs.map(({ key, value }) => ({ cid: decodeOrderedKey(key), bytes: value })))
      blocks += pairs.length
    } else {
      await input.to.meta.batch(pairs.map(({ key, value }) => ({ type: 'put', key: decodeOrderedKey(key.subarray(1)), value })))
      keys += pairs.length
    }
  }
  const movedTo = `${input.from}.migrated-${migrationTime()}`
  await rename(input.from, movedTo)
  return { blocks, keys, movedTo }
}

/** Whether `path` is a regular file. */
export async function isFile (path: string): Promise<boolean> {
  return await stat(path).then(found => found.isFile(), () => false)
}

/** The time a migration ends, as it suffixes the name of what it moved aside. */
export function migrationTime (): string {
  return new Date().toISOString().replaceAll(':', '-')
}
