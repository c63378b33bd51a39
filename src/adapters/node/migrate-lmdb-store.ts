/**
 * Moves an LMDB store (lmdb-backend.ts, the follower's record storage before
 * SQLite) into another backend, once, so a follower upgraded in place keeps what it held.
 *
 * Every block and every key is copied, a chunk per write, and only then is the old
 * directory renamed aside (to `<from>.migrated-<time>`): that rename is the commit point.
 * A crash before it leaves the old store where it was, and the next start copies
 * it again; the copies are plain puts, so copying twice changes nothing.
 */
import { rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { StorageBackend } from '../../core/storage/interfaces.ts'
import { LMDB_FILE, readLmdbStore } from './lmdb-backend.ts'
import type { MigratedFileStore } from './migrate-file-store.ts'

/** Blocks or keys per write: bounds the memory a chunk holds. */
const CHUNK = 256

/**
 * Copies the LMDB store in `from` into `to` and renames `from` aside; resolves
 * undefined, touching nothing, when there is no LMDB store at `from`.
 */
export async function migrateLmdbStore (input: { readonly from: string, readonly to: StorageBackend }): Promise<MigratedFileStore | undefined> {
  const isFile = await stat(join(input.from, LMDB_FILE)).then(found => found.isFile(), () => false)
  if (!isFile) return undefined
  let blocks = 0
  let keys = 0
  for await (const chunk of readLmdbStore(input.from, CHUNK)) {
    if ('blocks' in chunk) {
      await input.to.blocks.putMany(chunk.blocks)
      blocks += chunk.blocks.length
    } else {
      await input.to.meta.batch(chunk.entries)
      keys += chunk.entries.length
    }
  }
  const movedTo = `${input.from}.migrated-${new Date().toISOString().replaceAll(':', '-')}`
  await rename(input.from, movedTo)
  return { blocks, keys, movedTo }
}
