/** Node adapters: a StorageBackend in an LMDB or SQLite database, or in a directory of files; Ed25519 signing and sha2-256 through node:crypto. */
export { openLmdbBackend, type LmdbBackendOptions } from './lmdb-backend.ts'
export { openSqliteBackend, SQLITE_FILE, type SqliteBackendOptions } from './sqlite-backend.ts'
export { openFileBackend, type FileBackendOptions } from './file-backend.ts'
export { migrateFileStore, type MigratedFileStore } from './migrate-file-store.ts'
export { migrateLmdbStore } from './migrate-lmdb-store.ts'
export { openLmdbBlockstore, LmdbBlockstore, type LmdbBlockstoreOptions } from './lmdb-blockstore.ts'
export { createNodeSigner } from './ed25519-signer.ts'
export { nodeSha256 } from './sha256.ts'
