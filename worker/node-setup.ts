/**
 * Builds the background node and the handlers that serve tabs: the same for
 * the SharedWorker and for the dedicated-worker fallback's leader.
 */
import { PROTOCOL_VERSION } from '../src/protocol/messages.ts'
import { followerUrl } from '../src/protocol/shared-names.ts'
import type { RequestHandlers } from '../src/protocol/rpc-server.ts'
import { startAlbumService } from './album-service.ts'
import { keepFollowerLink } from './follower-link.ts'
import { startWorkerNode } from './libp2p-node.ts'
import { carriers } from './rtc-bridge/carriers.ts'

/** Starts the node; `workerId` names this instance to the tabs it serves. */
export async function setupNode (workerId: string): Promise<RequestHandlers> {
  const node = await startWorkerNode()
  const follower = await findFollower()
  if (follower !== undefined) keepFollowerLink(node, follower)
  const album = await startAlbumService({ node, follower, carriers })
  return {
    hello: () => ({ type: 'ready', workerId, protocol: PROTOCOL_VERSION }),
    ...album
  }
}

/** The follower's multiaddr from its health endpoint, or undefined when it cannot be reached. */
async function findFollower (): Promise<string | undefined> {
  const base = followerUrl()
  try {
    const health = await (await fetch(`${base}/health`, { signal: AbortSignal.timeout(3000) })).json() as { multiaddrs?: string[] }
    return health.multiaddrs?.[0]
  } catch {
    return undefined
  }
}

/** 64 random bits as hex: enough to tell worker instances apart, short enough to show. */
export function randomId (): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
