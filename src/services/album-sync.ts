/**
 * How an album reaches its follower: a sync scheduler whose first request to
 * the follower asks it to follow the album (it may be offline at that moment,
 * so this is retried before each sync until it answers `following`). The
 * request carries this device's first record: the owner's genesis, or the
 * join through which the album's other members find this device's log.
 * After a key rotation this device holds a new epoch, whose follow key the
 * follower needs to take records sealed with it: the request is made again
 * whenever the epochs held change, and once more after a push (which carries
 * the rotation the follower checks the new key against). After several
 * rotations the follower can take their keys only one at a time (each
 * rotation is sealed with the epoch before it), so keys go over one more
 * epoch per push until it holds them all.
 */
import type { ThreadDatabase } from '../core/db/index.ts'
import type { KeyValueStore } from '../core/storage/interfaces.ts'
import type { SyncTransport } from '../core/sync/engine.ts'
import type { SyncReplica } from '../core/sync/replica.ts'
import { createSyncScheduler, type SyncScheduler, type SyncStatus } from '../core/sync/scheduler.ts'
import type { FollowerBlocks } from './album-packs.ts'

/** How long a follower that follows our log is kept as a place to fetch it from. */
const FOLLOWER_ADDRESS_TTL_MS = 7 * 24 * 3600 * 1000

/** The follower an album service syncs with: its multiaddr (to name it and record it) and a transport to it. */
export interface FollowerPeer {
  readonly address: string
  readonly transport: SyncTransport
  /**
   * Its block endpoints, once its web address is known (it may become known after the follower is
   * added): a snapshot's thumbnail packs are pushed there and fetched from there.
   */
  readonly blocks?: () => FollowerBlocks | undefined
}

/** How often a follower sync runs unprompted, and how long it backs off at most; the service's defaults unless given. */
export interface FollowerSyncTiming {
  readonly intervalMs?: number
  readonly maxBackoffMs?: number
}

/** Makes (does not start) the scheduler that keeps `thread` in sync with `follower`. */
export function createFollowerSync ({ thread, follower, replica, meta, timing = {}, onStatus, onFollowed }: {
  readonly thread: ThreadDatabase
  readonly follower: FollowerPeer
  readonly replica: SyncReplica
  /** Where acknowledged positions are kept, so the outbox survives restarts. */
  readonly meta: KeyValueStore
  readonly timing?: FollowerSyncTiming
  readonly onStatus: (status: SyncStatus) => void
  /** The follower took keys of a new epoch after a push that may have carried records it refused for want of them: sync again. */
  readonly onFollowed?: () => void
}): SyncScheduler {
  return createSyncScheduler({
    thread: thread.id,
    peer: follower.address,
    transport: followingFirst(thread, follower, onFollowed),
    replica,
    meta,
    // Gossip announcements and local writes start syncs at once; the timer is the safety net.
    intervalMs: timing.intervalMs ?? 60_000,
    maxBackoffMs: timing.maxBackoffMs ?? 5000,
    onStatus
  })
}

/**
 * A transport to the follower that asks it to follow `thread`, with the
 * follow keys of every epoch held, before the first request that reaches it
 * and again whenever more epochs are held than it was last given.
 */
function followingFirst (thread: ThreadDatabase, { address, transport }: FollowerPeer, onFollowed?: () => void): SyncTransport {
  /** How many epochs' keys the follower took with the last follow it answered `following`. */
  let given = 0
  const follow = async (options: Parameters<SyncTransport['request']>[1], epochs?: number): Promise<boolean> => {
    // Counted first: a follow request is signed and carries this log's first record, too much to make before every request.
    if (epochs === undefined && given > 0 && await thread.heldEpochs() <= given) return true
    const request = await thread.followRequest(epochs === undefined ? {} : { epochs })
    if (request.keys.length <= given) return true
    const answer = await transport.request(request, options)
    if (answer.type !== 'following') return false
    // A follower that follows our log is one more place it can be fetched from.
    if (given === 0) await thread.addAddresses(thread.logId, [address], FOLLOWER_ADDRESS_TTL_MS)
    given = request.keys.length
    return true
  }
  return {
    // Pull proofs name what the follower's transport names (the libp2p peer on a connection).
    ...(transport.proofPeer === undefined ? {} : { proofPeer: () => transport.proofPeer!() }),
    async request (request, options) {
      // Otherwise the sync goes on: the follower's answer to it says in words what is wrong, and the next sync asks again.
      const followed = await follow(options)
      const answer = await transport.request(request, options)
      // The push may have carried the rotation that commits the new key: hand it over now, and send what was refused for want of it.
      if (!followed && request.type === 'push' && given > 0 && (await follow(options) || await follow(options, given + 1))) onFollowed?.()
      return answer
    }
  }
}
