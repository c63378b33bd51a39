/** Node storage adapter: a StorageBackend in a directory of files. */
export { openFileBackend, type FileBackendOptions } from './file-backend.ts'
