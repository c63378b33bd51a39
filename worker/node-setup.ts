/**
 * Builds the background node and the handlers that serve tabs: the same for
 * the SharedWorker and for the dedicated-worker fallback's leader.
 */
import { PROTOCOL_VERSION } from '../src/protocol/messages.ts'
import { followerUrl } from '../src/protocol/shared-names.ts'
import type { RequestHandlers } from '../src/protocol/rpc-server.ts'
import { findFollower } from '../src/adapters/http/find-follower.ts'
import { startAlbumService } from './album-service.ts'
import { keepFollowerLink } from './follower-link.ts'
import { startWorkerNode } from './libp2p-node.ts'
import { workerLogger } from './log.ts'
import { carriers } from './rtc-bridge/carriers.ts'

const log = workerLogger('setup')

/** Starts the node; `workerId` names this instance to the tabs it serves. */
export async function setupNode (workerId: string): Promise<RequestHandlers> {
  const node = await startWorkerNode()
  const follower = await followerAddress()
  if (follower !== undefined) keepFollowerLink(node, follower)
  const album = await startAlbumService({ node, follower, carriers })
  return {
    hello: () => ({ type: 'ready', workerId, protocol: PROTOCOL_VERSION }),
    ...album
  }
}

/** The follower's multiaddr, or undefined when it cannot be reached (the node then runs without one). */
async function followerAddress (): Promise<string | undefined> {
  try {
    return await findFollower(followerUrl(), { timeoutMs: 3000 })
  } catch (error) {
    log.failure('no follower found; running without one', error)
    return undefined
  }
}
