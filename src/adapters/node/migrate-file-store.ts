/**
 * Moves a file store (file-backend.ts, the follower's storage before LMDB) into
 * another backend, once, so a follower upgraded in place keeps what it held.
 *
 * Every block and every key is copied, a chunk per write, and only then is the old
 * directory renamed aside (to `<from>.migrated-<time>`): that rename is the commit point.
 * A crash before it leaves the old store where it was, and the next start copies
 * it again; the copies are plain puts, so copying twice changes nothing.
 */
import { readdir, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { BatchOperation, RawBlock, StorageBackend } from '../../core/storage/interfaces.ts'
import { openFileBackend } from './file-backend.ts'
import { BLOCKS_DIR } from './file-names.ts'

/** What a migration copied. */
export interface MigratedFileStore {
  readonly blocks: number
  readonly keys: number
  /** Where the old directory now is. */
  readonly movedTo: string
}

/** Blocks or keys per write: bounds the memory a chunk holds. */
const CHUNK = 256

/**
 * Copies the file store in `from` into `to` and renames `from` aside; resolves
 * undefined, touching nothing, when there is no file store at `from`.
 */
export async function migrateFileStore (input: { readonly from: string, readonly to: StorageBackend }): Promise<MigratedFileStore | undefined> {
  const isDirectory = await stat(input.from).then(found => found.isDirectory(), () => false)
  if (!isDirectory) return undefined
  // Opening finishes or discards a write a crash interrupted, and removes temp files.
  const source = await openFileBackend({ directory: input.from })
  let blocks = 0
  let keys = 0
  try {
    const cids = await readdir(join(input.from, BLOCKS_DIR))
    for (let start = 0; start < cids.length; start += CHUNK) {
      const chunk: RawBlock[] = []
      for (const cid of cids.slice(start, start + CHUNK)) {
        const bytes = await source.blocks.get(cid)
        if (bytes !== undefined) chunk.push({ cid, bytes })
      }
      await input.to.blocks.putMany(chunk)
      blocks += chunk.length
    }
    let chunk: BatchOperation[] = []
    const flush = async (): Promise<void> => {
      await input.to.meta.batch(chunk)
      keys += chunk.length
      chunk = []
    }
    for await (const [key, value] of source.meta.list('')) {
      chunk.push({ type: 'put', key, value })
      if (chunk.length >= CHUNK) await flush()
    }
    await flush()
  } finally {
    await source.close()
  }
  const movedTo = `${input.from}.migrated-${new Date().toISOString().replaceAll(':', '-')}`
  await rename(input.from, movedTo)
  return { blocks, keys, movedTo }
}
