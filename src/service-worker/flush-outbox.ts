/**
 * Flushes the outbox from the service worker, for when records were written
 * while the follower was out of reach and every tab has since closed (so no
 * background node runs). It waits for the node's lock, which also keeps a node
 * from starting mid-flush, then pushes each album's unacknowledged records to
 * the follower over HTTP. It only reads records and writes acknowledgements:
 * pulling stays with the node, which applies what it receives to the views.
 */
import { openIdbBackend } from '../adapters/idb/index.ts'
import { httpSyncTransport } from '../adapters/http/sync-transport.ts'
import { openDatabase } from '../core/db/index.ts'
import { flushOutbox, type FlushedThread } from '../core/sync/outbox.ts'
import { NODE_LOCK } from '../protocol/shared-names.ts'

/** Pushes every album's waiting records to the follower at `followerUrl`; throws if it cannot be reached. */
export async function flushOutboxWhenFree (followerUrl: string): Promise<FlushedThread[]> {
  return await navigator.locks.request(NODE_LOCK, async () => {
    const health = await (await fetch(new URL('/health', followerUrl), { signal: AbortSignal.timeout(10_000) })).json() as { multiaddrs?: unknown }
    const peer = Array.isArray(health.multiaddrs) && typeof health.multiaddrs[0] === 'string' ? health.multiaddrs[0] : undefined
    if (peer === undefined) throw new Error(`The follower at ${followerUrl} did not say its address`)
    const backend = await openIdbBackend({ name: 'threads' })
    const db = openDatabase({ backend })
    try {
      const threads = (await db.listThreads()).map((t) => t.id)
      const flushed = await flushOutbox({ threads, peer, transport: httpSyncTransport(followerUrl), replica: db.syncReplica(), meta: backend.meta })
      // A thread the follower could not take makes Background Sync try again later.
      const failed = flushed.find((f) => f.error !== undefined)
      if (failed?.error !== undefined) throw new Error(`${failed.error.name}: ${failed.error.message}`)
      return flushed
    } finally {
      await db.close()
    }
  })
}
