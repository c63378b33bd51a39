/**
 * Keeps the node connected to its follower. The follower is also the relay
 * through which other browsers reach this node, and the reservation there
 * lasts only as long as the connection: so the node dials it at start, and
 * again with backoff whenever the connection is lost.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { retryWithBackoff } from '../src/core/retry.ts'
import type { WorkerNode } from './libp2p-node.ts'
import { workerLogger } from './log.ts'

const DIAL_TIMEOUT_MS = 10_000
const MAX_BACKOFF_MS = 30_000
const log = workerLogger('follower-link')

/** Dials `address` now and whenever the connection to it drops. */
export function keepFollowerLink (node: WorkerNode, address: string): void {
  const target = multiaddr(address)
  const peer = target.getComponents().filter((c) => c.name === 'p2p').at(-1)?.value
  let dialling = false

  const connect = (): void => {
    if (dialling) return
    dialling = true
    retryWithBackoff(async () => await node.dial(target, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }), {
      what: `dial the follower at ${address}`, log, minDelayMs: 500, maxDelayMs: MAX_BACKOFF_MS
    }).catch((error: unknown) => { log.failure(`stopped dialling the follower at ${address}`, error) })
      .finally(() => { dialling = false })
  }
  node.addEventListener('peer:disconnect', ({ detail }) => {
    if (detail.toString() === peer) connect()
  })
  connect()
}
