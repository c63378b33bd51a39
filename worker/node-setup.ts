/**
 * Builds the background node and the handlers that serve tabs: the same for
 * the SharedWorker and for the dedicated-worker fallback's leader. Wiring
 * only: the browser's parts (IndexedDB, the libp2p node with its WebRTC
 * bridge, fetch for the follower's health endpoint) are handed to the album
 * service, the follower link and the direct peers of src/services.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { openIdbBackend } from '../src/adapters/idb/index.ts'
import { libp2pSyncTransport, serveSync } from '../src/adapters/libp2p/sync-protocol.ts'
import { createSyncHandler } from '../src/core/sync/handler.ts'
import { PROTOCOL_VERSION } from '../src/protocol/messages.ts'
import { DATABASE_NAME, followerUrl } from '../src/protocol/shared-names.ts'
import type { RequestHandlers } from '../src/protocol/rpc-server.ts'
import { findFollower } from '../src/adapters/http/find-follower.ts'
import { createAlbumService } from '../src/services/album-service.ts'
import { createDirectPeers } from '../src/services/direct-peers.ts'
import { startDirectSync } from '../src/services/direct-sync.ts'
import { createFollowerLink } from '../src/services/follower-link.ts'
import { pubsubTopics } from '../src/services/topics.ts'
import { startWorkerNode } from './libp2p-node.ts'
import { workerLogger } from './log.ts'
import { carriers } from './rtc-bridge/carriers.ts'

const log = workerLogger('setup')

/** Starts the node; `workerId` names this instance to the tabs it serves. */
export async function setupNode (workerId: string): Promise<RequestHandlers> {
  const node = await startWorkerNode()
  const address = await followerAddress()
  if (address !== undefined) await createFollowerLink({ node, address }).start()
  const album = createAlbumService({
    backend: await openIdbBackend({ name: DATABASE_NAME }),
    ...(address === undefined ? {} : { follower: { address, transport: libp2pSyncTransport(node, multiaddr(address)) } }),
    topics: pubsubTopics(node.services.pubsub),
    direct: ({ replica, onChange }) => createDirectPeers({
      node,
      carriers,
      onChange,
      startSync: (thread, peer) => startDirectSync({ thread, peer, transport: libp2pSyncTransport(node, peer), replica, onStatus: onChange })
    })
  })
  // Other browsers sync with this node directly, as they would with a follower.
  await serveSync(node, createSyncHandler(album.syncReplica()))
  await album.start()
  return {
    hello: () => ({ type: 'ready', workerId, protocol: PROTOCOL_VERSION }),
    ...album.handlers
  }
}

/** The follower's multiaddr, or undefined when it cannot be reached (the node then runs without one). */
async function followerAddress (): Promise<string | undefined> {
  try {
    return await findFollower(followerUrl(), { timeoutMs: 3000 })
  } catch (error) {
    // No follower in reach: albums stay on this device, and the album view says so.
    log.failure('no follower found; running without one', error)
    return undefined
  }
}
