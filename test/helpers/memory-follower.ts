/**
 * A follower in memory for sync unit tests: a record store and key book over a
 * memory backend, holding follow keys only, admitting follows as the real one does, served through the loopback
 * transport (real wire encoding, the same answering path as a network peer).
 */
import { createRecordStore } from '../../src/core/log/record-store.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { admitFollow } from '../../src/core/sync/follow-admission.ts'
import { createSyncHandler } from '../../src/core/sync/handler.ts'
import { createLoopbackTransport } from './loopback.ts'
import { createStoreReplica } from '../../src/core/sync/replica.ts'
import { createSnapshotShelf } from '../../src/core/sync/snapshot-shelf.ts'

/** Starts one; `abuse()` counts the requests it found abusive. `soleWriter`: its record store keeps indexes in memory, as the real one's does. */
export function memoryFollower (options: { soleWriter?: boolean } = {}) {
  const backend = createMemoryBackend()
  const keys = createKeyBook(backend.meta)
  const records = createRecordStore({ backend, soleWriter: options.soleWriter })
  const replica = createStoreReplica({ records, keys, snapshots: createSnapshotShelf({ meta: backend.meta, records, keys }), follow: async (request) => { await admitFollow(request, { records, keys }) } })
  const handler = createSyncHandler(replica)
  let abuse = 0
  return { backend, keys, replica, handler, transport: createLoopbackTransport(handler, () => { abuse++ }), abuse: () => abuse }
}
