/**
 * How an album reaches its follower: a sync scheduler whose first request to
 * the follower asks it to follow the album (it may be offline at that moment,
 * so this is retried before each sync until it answers `following`). The
 * request carries this device's first record: the owner's genesis, or the
 * join through which the album's other members find this device's log.
 */
import type { ThreadDatabase } from '../core/db/index.ts'
import type { KeyValueStore } from '../core/storage/interfaces.ts'
import type { SyncTransport } from '../core/sync/engine.ts'
import type { SyncReplica } from '../core/sync/replica.ts'
import { createSyncScheduler, type SyncScheduler, type SyncStatus } from '../core/sync/scheduler.ts'

/** How long a follower that follows our log is kept as a place to fetch it from. */
const FOLLOWER_ADDRESS_TTL_MS = 7 * 24 * 3600 * 1000

/** The follower an album service syncs with: its multiaddr (to name it and record it) and a transport to it. */
export interface FollowerPeer {
  readonly address: string
  readonly transport: SyncTransport
}

/** How often a follower sync runs unprompted, and how long it backs off at most; the service's defaults unless given. */
export interface FollowerSyncTiming {
  readonly intervalMs?: number
  readonly maxBackoffMs?: number
}

/** Makes (does not start) the scheduler that keeps `thread` in sync with `follower`. */
export function createFollowerSync ({ thread, follower, replica, meta, timing = {}, onStatus }: {
  readonly thread: ThreadDatabase
  readonly follower: FollowerPeer
  readonly replica: SyncReplica
  /** Where acknowledged positions are kept, so the outbox survives restarts. */
  readonly meta: KeyValueStore
  readonly timing?: FollowerSyncTiming
  readonly onStatus: (status: SyncStatus) => void
}): SyncScheduler {
  return createSyncScheduler({
    thread: thread.id,
    peer: follower.address,
    transport: followingFirst(thread, follower),
    replica,
    meta,
    // Gossip announcements and local writes start syncs at once; the timer is the safety net.
    intervalMs: timing.intervalMs ?? 60_000,
    maxBackoffMs: timing.maxBackoffMs ?? 5000,
    onStatus
  })
}

/** A transport to the follower that asks it to follow `thread` before the first request that reaches it. */
function followingFirst (thread: ThreadDatabase, { address, transport }: FollowerPeer): SyncTransport {
  let followed = false
  return {
    async request (request, options) {
      if (!followed) {
        const answer = await transport.request(await thread.followRequest(), options)
        if (answer.type === 'following') {
          followed = true
          // A follower that follows our log is one more place it can be fetched from.
          await thread.addAddresses(thread.logId, [address], FOLLOWER_ADDRESS_TTL_MS)
        }
        // Otherwise the sync goes on: the follower's answer to it says in words what is wrong, and the next sync asks again.
      }
      return await transport.request(request, options)
    }
  }
}
