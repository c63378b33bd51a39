/**
 * Keeps the node connected to its follower. The follower is also the relay
 * through which other browsers reach this node, and the reservation there
 * lasts only as long as the connection: so the node dials it at start, and
 * again with backoff whenever the connection is lost.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { WorkerNode } from './libp2p-node.ts'

const DIAL_TIMEOUT_MS = 10_000
const MAX_BACKOFF_MS = 30_000

/** Dials `address` now and whenever the connection to it drops. */
export function keepFollowerLink (node: WorkerNode, address: string): void {
  const target = multiaddr(address)
  const peer = target.getComponents().filter((c) => c.name === 'p2p').at(-1)?.value
  let failures = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  const dial = async (): Promise<void> => {
    try {
      await node.dial(target, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      failures = 0
    } catch {
      failures++
      schedule()
    }
  }
  const schedule = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => { void dial() }, Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures))
  }
  node.addEventListener('peer:disconnect', ({ detail }) => {
    if (detail.toString() === peer) schedule()
  })
  void dial()
}
