/**
 * Keeps the node connected to its follower. The follower is also the relay
 * through which other browsers reach this node, and the reservation there
 * lasts only as long as the connection: so the link dials it when started,
 * and again with backoff whenever the connection is lost. Stopping it removes
 * its listener, clears its timer and cuts a dial under way.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { createLifecycle, type Startable } from '../core/lifecycle.ts'

const DIAL_TIMEOUT_MS = 10_000
const MAX_BACKOFF_MS = 30_000

/** The part of a libp2p node the link uses. */
export type FollowerLinkNode = Pick<Libp2p, 'dial' | 'addEventListener' | 'removeEventListener'>

/** Options of {@link createFollowerLink}. */
export interface FollowerLinkOptions {
  readonly node: FollowerLinkNode
  /** The follower's multiaddr, ending in its peer ID. */
  readonly address: string
  /** How long one dial may take; 10 s unless given. */
  readonly dialTimeoutMs?: number
  /** The first retry waits this long, doubling up to 30 s; 500 ms unless given. */
  readonly firstBackoffMs?: number
}

/** The link; {@link Startable} with how many dials failed in a row. */
export interface FollowerLink extends Startable {
  readonly failures: number
}

/** Makes the link; it dials once started. */
export function createFollowerLink ({ node, address, dialTimeoutMs = DIAL_TIMEOUT_MS, firstBackoffMs = 500 }: FollowerLinkOptions): FollowerLink {
  const target = multiaddr(address)
  const peer = target.getComponents().filter((c) => c.name === 'p2p').at(-1)?.value
  const stopped = new AbortController()
  let failures = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  const dial = async (): Promise<void> => {
    try {
      await node.dial(target, { signal: AbortSignal.any([stopped.signal, AbortSignal.timeout(dialTimeoutMs)]) })
      failures = 0
    } catch {
      // The follower is out of reach for now: try again later, ever less often.
      if (stopped.signal.aborted) return
      failures++
      schedule()
    }
  }
  const schedule = (): void => {
    if (stopped.signal.aborted) return
    clearTimeout(timer)
    timer = setTimeout(() => { void dial() }, Math.min(MAX_BACKOFF_MS, firstBackoffMs * 2 ** failures))
  }
  const onDisconnect = ({ detail }: CustomEvent<PeerId>): void => {
    if (detail.toString() === peer) schedule()
  }

  const lifecycle = createLifecycle({
    what: `The link to the follower ${address}`,
    start: () => {
      node.addEventListener('peer:disconnect', onDisconnect)
      void dial()
    },
    stop: () => {
      stopped.abort()
      clearTimeout(timer)
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
