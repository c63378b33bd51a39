/** IndexedDB storage adapter: a StorageBackend in one IndexedDB database. */
export {
  openIdbBackend, writeMetaOperations, BLOCK_STORE, META_STORE,
  type IdbBackend, type IdbBackendOptions
} from './idb-backend.ts'
