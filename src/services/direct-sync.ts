/**
 * How an album syncs with a browser it is directly connected to: a scheduler
 * like the follower's, on local writes and announcements, with a timer as
 * safety net and short backoff, whose acknowledgements are kept in memory
 * only (what a passing peer holds need not outlive the connection). Its
 * status is shown nowhere (an album shows how many peers it is connected to,
 * not how each sync stands), so it is reported only to whoever asks.
 */
import type { PeerId } from '@libp2p/interface'
import { createMemoryBackend } from '../core/storage/memory.ts'
import type { SyncTransport } from '../core/sync/engine.ts'
import type { SyncReplica } from '../core/sync/replica.ts'
import { startSyncScheduler, type SyncScheduler, type SyncStatus } from '../core/sync/scheduler.ts'

/** Starts syncing `thread` with the directly connected `peer` over `transport`. */
export function startDirectSync ({ thread, peer, transport, replica, onStatus }: {
  readonly thread: string
  readonly peer: PeerId
  readonly transport: SyncTransport
  readonly replica: SyncReplica
  readonly onStatus?: (status: SyncStatus) => void
}): SyncScheduler {
  return startSyncScheduler({
    thread,
    peer: peer.toString(),
    transport,
    replica,
    // What a passing peer acknowledged need not outlive the connection.
    meta: createMemoryBackend().meta,
    intervalMs: 30_000,
    maxBackoffMs: 5000,
    ...onStatus === undefined ? {} : { onStatus }
  })
}
