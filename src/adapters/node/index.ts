/** Node storage adapters: a StorageBackend in an LMDB database, or in a directory of files. */
export { openLmdbBackend, type LmdbBackendOptions } from './lmdb-backend.ts'
export { openFileBackend, type FileBackendOptions } from './file-backend.ts'
export { migrateFileStore, type MigratedFileStore } from './migrate-file-store.ts'
export { openLmdbBlockstore, LmdbBlockstore, type LmdbBlockstoreOptions } from './lmdb-blockstore.ts'
