/**
 * Builds the background node and the handlers that serve tabs: the same for
 * the SharedWorker and for the dedicated-worker fallback's leader. Wiring
 * only: the browser's parts (IndexedDB, the libp2p node with its WebRTC
 * bridge, fetch for the follower's health endpoint) are handed to the album
 * service, the follower links and the direct peers of src/services.
 *
 * Followers: the build's follower is found through its health endpoint, tried
 * again with backoff until it answers (a node started while it is down syncs
 * once it is up, without a reload); followers named by invites are added as
 * albums are joined, and those a person adds in the app (by web address or
 * multiaddr). Each gets a link that redials it and tells the album
 * service when it comes or goes.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { openIdbBackend } from '../src/adapters/idb/index.ts'
import { openTabViews } from '../src/adapters/idb/tab-views.ts'
import { openIdbMediaBlockstore } from '../src/adapters/idb/media-blockstore.ts'
import { createBlockNode } from '../src/adapters/libp2p/block-node.ts'
import { mediaBlocksOf } from '../src/adapters/libp2p/media-blocks.ts'
import { serveSync } from '../src/adapters/libp2p/sync-protocol.ts'
import { createAnswerBudget } from '../src/adapters/libp2p/answer-budget.ts'
import { libp2pSessionTransport, serveSyncSessions } from '../src/adapters/libp2p/sync-session.ts'
import { retryWithBackoff } from '../src/core/retry.ts'
import { createSyncHandler } from '../src/core/sync/handler.ts'
import { PROTOCOL_VERSION } from '../src/protocol/messages.ts'
import { DATABASE_NAME, MEDIA_DATABASE_NAME, followerUrl } from '../src/protocol/shared-names.ts'
import type { RequestHandlers } from '../src/protocol/rpc-server.ts'
import { findFollower } from '../src/adapters/http/find-follower.ts'
import { httpFollowerBlocks } from '../src/adapters/http/block-push.ts'
import { httpHeldBlocks } from '../src/adapters/http/held-blocks.ts'
import { createAlbumService } from '../src/services/album-service.ts'
import { createDirectPeers, type DirectPeers } from '../src/services/direct-peers.ts'
import { notingDirectPushes } from '../src/services/direct-pushes.ts'
import { startDirectSync } from '../src/services/direct-sync.ts'
import { createFollowerLink, type FollowerLink } from '../src/services/follower-link.ts'
import { createMediaStore } from '../src/services/media-store.ts'
import { createTopicSpeakers, notingSpeakers } from '../src/services/topic-speakers.ts'
import { pubsubTopics } from '../src/services/topics.ts'
import { startWorkerNode } from './libp2p-node.ts'
import { workerLogger } from './log.ts'
import { carriers } from './rtc-bridge/carriers.ts'

const log = workerLogger('setup')

/** Starts the node; `workerId` names this instance to the tabs it serves. */
export async function setupNode (workerId: string): Promise<RequestHandlers> {
  const node = await startWorkerNode()
  // Photos' files: blocks in IndexedDB, fetched from and served to peers over bitswap on the node's own connections.
  const blockstore = await openIdbMediaBlockstore(MEDIA_DATABASE_NAME)
  const helia = await createBlockNode({ libp2p: node, blockstore })
  const links = new Map<string, FollowerLink>()
  /** The peers of the followers linked: what they say or pass on on an album's topic is heard. */
  const followerPeers = new Set<string>()
  /** The peers that proved membership of an album to this node by a request it served: what they say on its topic is heard. */
  const speakers = createTopicSpeakers()
  /** The web addresses of followers known by one (the build's, those a person added by URL), by multiaddr. */
  const webAddresses = new Map<string, string>()
  /** Syncs every album with the follower at `address` from now on, through a link that keeps it dialled. */
  const follow = (address: string): void => {
    if (links.has(address) || links.size >= MAX_FOLLOWERS || !isFollowerAddress(address)) return
    const link = createFollowerLink({ node, address, onChange: () => { album.followerChanged(address) } })
    links.set(address, link)
    const peer = multiaddr(address).getComponents().find((c) => c.name === 'p2p')?.value
    if (peer !== undefined) followerPeers.add(peer)
    // Over sessions: a push or an announced pull costs one round trip, not a protocol negotiation first (a follower serving none is asked one stream a request).
    // Once its web address is known (an invite may name the build's follower before its health endpoint answers), a
    // snapshot's thumbnail packs go to and come from its block endpoint.
    const blocks = (): ReturnType<typeof httpFollowerBlocks> | undefined => {
      const web = webAddresses.get(address)
      return web === undefined ? undefined : httpFollowerBlocks(web)
    }
    album.addFollower({ address, transport: libp2pSessionTransport(node, multiaddr(address)), blocks })
    link.start().catch((error: unknown) => { log.failure(`starting the link to the follower ${address}`, error) })
  }
  const backend = await openIdbBackend({ name: DATABASE_NAME })
  /** The browsers this node syncs with directly, once the album service made them. */
  let directPeers: DirectPeers | undefined
  const album = createAlbumService({
    backend,
    tabViews: await openTabViews({ onError: (what, error) => { log.failure(what, error) } }),
    media: createMediaStore({
      blocks: mediaBlocksOf(helia, blockstore),
      meta: backend.meta,
      estimate: storageEstimate,
      // Each follower whose web address is known (the build's, those added by URL) may confirm, file by file, that it
      // holds this device's own originals before they may be evicted; one known by its libp2p address alone cannot be
      // asked (held-blocks is HTTP).
      backups: () => [...new Set([followerUrl(), ...[...webAddresses].flatMap(([address, url]) => links.has(address) ? [url] : [])])]
        .map((url) => ({ name: url, held: httpHeldBlocks(url) }))
    }),
    onFollowerAddresses: (addresses) => { for (const address of addresses) follow(address) },
    // A person adding a follower by its web address: its health endpoint says its multiaddr.
    resolveFollower: async (url) => {
      const address = await findFollower(url, { timeoutMs: 5000 })
      webAddresses.set(address, url)
      return address
    },
    topics: pubsubTopics(node.services.pubsub, { maySpeak: speakers.maySpeak, isFollower: (peer) => followerPeers.has(peer) }),
    direct: ({ replica, onChange }) => directPeers = createDirectPeers({
      node,
      carriers,
      onChange,
      // Direct peers sync over sessions: a write costs one round trip over the WebRTC connection, not a new data channel each time.
      // What a direct sync receives reaches the album's tabs through its views; how the sync stands is shown nowhere, so it reports nothing.
      startSync: (thread, peer) => startDirectSync({ thread, peer, transport: libp2pSessionTransport(node, peer), replica })
    })
  })
  // Other browsers sync with this node directly, as they would with a follower.
  // Who is served proves membership: what they then say on the album's topic is heard.
  // What they push is noted too: announcements of their logs then wait for their own pushes (announced-pulls.ts).
  const serve = notingDirectPushes(notingSpeakers(createSyncHandler(album.syncReplica()), speakers), () => directPeers)
  // One budget for the answers both protocols hold until their requesters take them.
  const answerBudget = createAnswerBudget()
  await serveSync(node, serve, { answerBudget })
  await serveSyncSessions(node, serve, { answerBudget })
  await album.start()
  findConfiguredFollower().then((address) => { webAddresses.set(address, followerUrl()); follow(address) }, (error: unknown) => { log.failure('stopped looking for the follower', error) })
  return {
    hello: () => ({ type: 'ready', workerId, protocol: PROTOCOL_VERSION }),
    ...album.handlers
  }
}

/** How much this origin stores of what it may, as the browser estimates it. */
async function storageEstimate (): Promise<{ usage: number, quota: number }> {
  const { usage = 0, quota = 0 } = await navigator.storage.estimate()
  return { usage, quota }
}

/** Followers a node keeps links to at most (invites name a few each). */
const MAX_FOLLOWERS = 8

/** A multiaddr that names its peer, as a follower's must to be dialled and recognised. */
function isFollowerAddress (address: string): boolean {
  try {
    return multiaddr(address).getComponents().some((c) => c.name === 'p2p')
  } catch (error) {
    log.failure(`ignored a follower address that is not a multiaddr: ${address.slice(0, 200)}`, error)
    return false
  }
}

/** The build's follower's multiaddr, asked of its health endpoint until it answers; albums stay on this device meanwhile. */
async function findConfiguredFollower (): Promise<string> {
  return await retryWithBackoff(async () => await findFollower(followerUrl(), { timeoutMs: 3000 }), {
    what: `find the follower at ${followerUrl()}`,
    log,
    // Asking is one small GET: ask often enough that a follower coming back is found within seconds.
    minDelayMs: 1000,
    maxDelayMs: 5000
  })
}
