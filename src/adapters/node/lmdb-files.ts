/**
 * Names and sizes of the LMDB files this project writes or once wrote, apart
 * from the code that opens them, so that a module needing only a name (a
 * migration looking for an old store) does not load the `lmdb` library.
 */

/** The record store's database file inside its directory (lmdb-backend.ts). */
export const LMDB_FILE = 'threads.mdb'
/** The media blockstore's database file inside its directory (lmdb-blockstore.ts; the follower's before SQLite). */
export const LMDB_BLOCKSTORE_FILE = 'blocks.mdb'
/** Address space reserved for a database's map (the file grows only as data does); 1 TiB. */
export const LMDB_MAP_BYTES = 2 ** 40
