/**
 * Flushes the outbox from the service worker, for when records were written
 * while the follower was out of reach and every tab has since closed (so no
 * background node runs). It waits for the node's lock, which also keeps a node
 * from starting mid-flush, then pushes each album's unacknowledged records to
 * the follower over HTTP. It only reads records and writes acknowledgements:
 * pulling stays with the node, which applies what it receives to the views.
 */
import { openIdbBackend } from '../adapters/idb/index.ts'
import { findFollower } from '../adapters/http/find-follower.ts'
import { httpSyncTransport } from '../adapters/http/sync-transport.ts'
import { createRecordStore } from '../core/log/record-store.ts'
import { createKeyBook } from '../core/storage/key-book.ts'
import { createThreadBook } from '../core/storage/thread-book.ts'
import { flushOutbox, type FlushedThread } from '../core/sync/outbox.ts'
import { createStoreReplica } from '../core/sync/replica.ts'
import { ThreadsError } from '../core/errors.ts'
import { DATABASE_NAME, NODE_LOCK } from '../protocol/shared-names.ts'

/** An album's waiting records were not all taken by the follower (Background Sync tries again later). */
export class OutboxFlushError extends ThreadsError {
  static override readonly errorName = 'OutboxFlushError'
}

/** A record was offered to the service worker, which only sends. */
export class PushOnlyError extends ThreadsError {
  static override readonly errorName = 'PushOnlyError'
}

/** Pushes every album's waiting records to the follower at `followerUrl`; throws if it cannot be reached. */
export async function flushOutboxWhenFree (followerUrl: string): Promise<FlushedThread[]> {
  return await navigator.locks.request(NODE_LOCK, async () => {
    const peer = await findFollower(followerUrl, { timeoutMs: 10_000 })
    const backend = await openIdbBackend({ name: DATABASE_NAME })
    try {
      const threads = (await createThreadBook(backend.meta).list()).map((t) => t.id)
      // Pushing needs only the record store and the key book, not the database and its views; a
      // replica that refuses what it is sent makes sure nothing received here goes around the views.
      const replica = createStoreReplica({
        records: createRecordStore({ backend }),
        keys: createKeyBook(backend.meta),
        ingest: async (_thread, received) => received.map(() => new PushOnlyError('the service worker only sends records; the background node receives them'))
      })
      const flushed = await flushOutbox({ threads, peer, transport: httpSyncTransport(followerUrl), replica, meta: backend.meta })
      // A thread the follower could not take makes Background Sync try again later.
      const failed = flushed.find((f) => f.error !== undefined)
      if (failed?.error !== undefined) throw new OutboxFlushError(`Album ${failed.thread} could not be sent: ${failed.error.name}: ${failed.error.message}`)
      return flushed
    } finally {
      await backend.close()
    }
  })
}
