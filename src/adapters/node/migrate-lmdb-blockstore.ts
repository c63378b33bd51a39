/**
 * Moves an LMDB media blockstore (lmdb-blockstore.ts, the follower's before
 * SQLite: `blocks.mdb` in the blockstore's directory) into another blockstore,
 * once, so a follower upgraded in place keeps the media it held.
 *
 * Every block is copied, a chunk at a time (bounded in count and bytes, its puts
 * sharing the blockstore's fsyncs), and only then is `blocks.mdb` renamed aside (to
 * `blocks.mdb.migrated-<time>`, its lock file removed): that rename is the commit
 * point. A crash before it leaves the old store where it was and the next start
 * copies it again; puts of blocks already held change nothing. `lmdb` is loaded
 * only when there is such a store (lmdb-reader.ts).
 */
import { rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Blockstore } from 'interface-blockstore'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'
import { LMDB_BLOCKSTORE_FILE } from './lmdb-files.ts'
import { readLmdbChunks } from './lmdb-reader.ts'
import { isFile, migrationTime } from './migrate-lmdb-store.ts'

/** Blocks per chunk, and bytes: media blocks are up to a MiB each. */
const CHUNK = 64
const CHUNK_BYTES = 16 * 1024 * 1024

/** What a blockstore migration copied. */
export interface MigratedBlockstore {
  readonly blocks: number
  readonly bytes: number
  /** Where the old database file now is. */
  readonly movedTo: string
}

/**
 * Copies the LMDB blockstore in `directory` into `to` and renames its file aside;
 * resolves undefined, touching nothing, when `directory` holds no LMDB blockstore.
 */
export async function migrateLmdbBlockstore (input: { readonly directory: string, readonly to: Blockstore }): Promise<MigratedBlockstore | undefined> {
  const path = join(input.directory, LMDB_BLOCKSTORE_FILE)
  if (!await isFile(path)) return undefined
  let blocks = 0
  let bytes = 0
  for await (const { pairs } of readLmdbChunks({ path, names: ['blocks'], maxPairs: CHUNK, maxBytes: CHUNK_BYTES })) {
    // Keyed by multihash, as every blockstore is: any CID of that digest finds the block.
    await Promise.all(pairs.map(async ({ key, value }) => await input.to.put(CID.createV1(raw.code, Digest.decode(key)), value)))
    blocks += pairs.length
    for (const { value } of pairs) bytes += value.length
  }
  const movedTo = `${path}.migrated-${migrationTime()}`
  await rename(path, movedTo)
  await rm(`${path}-lock`, { force: true })
  return { blocks, bytes, movedTo }
}
