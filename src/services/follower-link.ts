/**
 * Keeps the node connected to its follower. The follower is also the relay
 * through which other browsers reach this node, and the reservation there
 * lasts only as long as the connection: so the link dials it when started,
 * and again with backoff whenever the connection is lost. It tells its owner
 * at once when the follower comes or goes (`onChange`), so what the node says
 * about the follower is true within seconds. A node keeps one link per
 * follower it knows. Stopping it removes its listener, clears its timer and
 * cuts a dial under way.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { createLifecycle, type Startable } from '../core/lifecycle.ts'
import { createLogger } from '../core/logger.ts'
import { retryWithBackoff } from '../core/retry.ts'

const DIAL_TIMEOUT_MS = 10_000
// Short: a follower coming back is found within seconds, and a refused dial costs next to nothing.
const MAX_BACKOFF_MS = 5_000
const log = createLogger('services:follower-link')

/** The part of a libp2p node the link uses. */
export type FollowerLinkNode = Pick<Libp2p, 'dial' | 'addEventListener' | 'removeEventListener'>

/** Options of {@link createFollowerLink}. */
export interface FollowerLinkOptions {
  readonly node: FollowerLinkNode
  /** The follower's multiaddr, ending in its peer ID. */
  readonly address: string
  /** How long one dial may take; 10 s unless given. */
  readonly dialTimeoutMs?: number
  /** The first retry waits this long, doubling up to 5 s; 500 ms unless given (see src/core/retry.ts). */
  readonly firstBackoffMs?: number
  /** Called when the follower is connected, and when its connection is lost or a dial fails. */
  readonly onChange?: (reachable: boolean) => void
}

/** The link; {@link Startable} with how many dials failed in a row. */
export interface FollowerLink extends Startable {
  readonly failures: number
}

/** Makes the link; it dials once started. */
export function createFollowerLink ({ node, address, dialTimeoutMs = DIAL_TIMEOUT_MS, firstBackoffMs = 500, onChange }: FollowerLinkOptions): FollowerLink {
  const target = multiaddr(address)
  const peer = target.getComponents().filter((c) => c.name === 'p2p').at(-1)?.value
  const stopped = new AbortController()
  let failures = 0
  let dialling = false

  /** Dials until it succeeds, waiting longer after each failure; one loop at a time. */
  const connect = (): void => {
    if (dialling || stopped.signal.aborted) return
    dialling = true
    retryWithBackoff(async () => {
      await node.dial(target, { signal: AbortSignal.any([stopped.signal, AbortSignal.timeout(dialTimeoutMs)]) })
      failures = 0
      if (!stopped.signal.aborted) onChange?.(true)
    }, {
      what: `dial the follower at ${address}`,
      log,
      minDelayMs: firstBackoffMs,
      maxDelayMs: MAX_BACKOFF_MS,
      signal: stopped.signal,
      onFailure: (_error, attempt) => {
        failures = attempt
        if (!stopped.signal.aborted) onChange?.(false)
      }
    }).catch((error: unknown) => {
      if (!stopped.signal.aborted) log.failure(`stopped dialling the follower at ${address}`, error)
    }).finally(() => { dialling = false })
  }
  const onDisconnect = ({ detail }: CustomEvent<PeerId>): void => {
    if (detail.toString() !== peer) return
    onChange?.(false)
    connect()
  }

  const lifecycle = createLifecycle({
    what: `The link to the follower ${address}`,
    start: () => {
      node.addEventListener('peer:disconnect', onDisconnect)
      connect()
    },
    stop: () => {
      stopped.abort()
      node.removeEventListener('peer:disconnect', onDisconnect)
    }
  })
  return {
    get state () { return lifecycle.state },
    get failures () { return failures },
    start: async () => { await lifecycle.start() },
    stop: async () => { await lifecycle.stop() }
  }
}
