/**
 * Removes a thread from this peer's storage: its keys and identity (so nothing
 * of it can be opened or written here again), its records' blocks, its view,
 * snapshots, indexes and metadata. What other replicas hold is untouched.
 *
 * The rows are deleted first (keys among them, in one batch, so an
 * interrupted removal never leaves a readable half), then the blocks; blocks
 * left by an interruption are ciphertext no key here opens.
 */
import { recKey, type Position } from '../log/record-position.ts'
import type { BatchOperation, StorageBackend, StoreCallOptions } from '../storage/interfaces.ts'
import { listValues } from '../storage/meta-values.ts'

/** Key prefixes (each followed by `<thread>/`) under which stores keep a thread's rows. */
const THREAD_PREFIXES = ['epoch', 'rec', 'seq', 'acl', 'head', 'addrs', 'view', 'skipped', 'snapshot', 'acked'] as const
/** Single rows of a thread (`<name>/<thread>`). */
const THREAD_ROWS = ['threads', 'self', 'vclock'] as const

/** Deletes everything `backend` holds of `thread`. */
export async function forgetThread (backend: StorageBackend, thread: string, options?: StoreCallOptions): Promise<void> {
  const { meta, blocks } = backend
  const cids: string[] = []
  const recPrefix = recKey(thread, '')
  for await (const [key, position] of listValues<Position>(meta, recPrefix, options)) {
    cids.push(key.slice(recPrefix.length), ...position.links ?? [])
  }
  const operations: BatchOperation[] = THREAD_ROWS.map((name) => ({ type: 'delete', key: `${name}/${thread}` }))
  for (const name of THREAD_PREFIXES) {
    for await (const [key] of meta.list(`${name}/${thread}/`, options)) operations.push({ type: 'delete', key })
  }
  await meta.batch(operations, options)
  await blocks.deleteMany(cids, options)
}
