/**
 * Node adapters: a StorageBackend in an LMDB or SQLite database, or in a directory of files;
 * Helia blockstores in SQLite or LMDB; Ed25519 signing and sha2-256 through node:crypto.
 * Importing this module loads `lmdb` (about 16 MB of resident memory): a process that
 * needs no LMDB (the follower) imports the modules it uses instead.
 */
export { openLmdbBackend, type LmdbBackendOptions } from './lmdb-backend.ts'
export { openSqliteBackend, SQLITE_FILE, type SqliteBackendOptions } from './sqlite-backend.ts'
export { openFileBackend, type FileBackendOptions } from './file-backend.ts'
export { migrateFileStore, type MigratedFileStore } from './migrate-file-store.ts'
export { migrateLmdbStore } from './migrate-lmdb-store.ts'
export { migrateLmdbBlockstore, type MigratedBlockstore } from './migrate-lmdb-blockstore.ts'
export { openLmdbBlockstore, LmdbBlockstore, type LmdbBlockstoreOptions } from './lmdb-blockstore.ts'
export { openSqliteBlockstore, SqliteBlockstore, SQLITE_BLOCKSTORE_FILE, type SqliteBlockstoreOptions } from './sqlite-blockstore.ts'
export { createNodeSigner } from './ed25519-signer.ts'
export { nodeSha256 } from './sha256.ts'
