/**
 * The follower: a Node peer that relays for browsers and keeps the logs of
 * threads its members asked it to follow, holding follow keys only. It wires
 * the core (record store, key book, sync handler) to a SQLite database on disk, a libp2p
 * node (WebSockets, circuit relay v2 server, gossipsub) and an HTTP server, and
 * keeps the media blocks its threads' records reference in a blockstore on disk
 * (a second SQLite database), served to any node over bitswap by a light Helia
 * node on the same libp2p. In normal operation it loads no `lmdb`: only a data
 * directory from before SQLite, migrated once, does (lmdb-reader.ts).
 */
import { mkdir } from 'node:fs/promises'
import { circuitRelayServer, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { gossipsub } from '@libp2p/gossipsub'
import { ping } from '@libp2p/ping'
import { createLibp2p, type Libp2p } from 'libp2p'
import { withBaseOptions } from '../src/adapters/libp2p/base-options.ts'
// The modules themselves, not adapters/node/index.ts: that also exports the LMDB backend, which would load `lmdb`.
import { migrateFileStore } from '../src/adapters/node/migrate-file-store.ts'
import { migrateLmdbBlockstore } from '../src/adapters/node/migrate-lmdb-blockstore.ts'
import { migrateLmdbStore } from '../src/adapters/node/migrate-lmdb-store.ts'
import { openSqliteBackend } from '../src/adapters/node/sqlite-backend.ts'
import { openSqliteBlockstore } from '../src/adapters/node/sqlite-blockstore.ts'
import { serveSync, type Requester } from '../src/adapters/libp2p/sync-protocol.ts'
import { serveSyncSessions } from '../src/adapters/libp2p/sync-session.ts'
import { startBlockNode } from '../src/adapters/libp2p/bitswap-node.ts'
import { ThreadsError } from '../src/core/errors.ts'
import { createRecordStore } from '../src/core/log/record-store.ts'
import { createKeyBook } from '../src/core/storage/key-book.ts'
import { createThreadBook } from '../src/core/storage/thread-book.ts'
import { admitFollow } from '../src/core/sync/follow-admission.ts'
import { createSyncHandler, type HandledRequest } from '../src/core/sync/handler.ts'
import type { SyncRequest } from '../src/core/sync/messages.ts'
import { createStoreReplica } from '../src/core/sync/replica.ts'
import { createSnapshotShelf } from '../src/core/sync/snapshot-shelf.ts'
import type { FollowerConfig } from './config.ts'
import { startHttp } from './http.ts'
import { createLightHelia } from './light-helia.ts'
import { watchEventLoopLag } from './event-loop-lag.ts'
import { connectionManagerOptions, gossipLimits, limitsGater, relayReservationOptions, releaseReservationsOnDisconnect, topicValidator } from './libp2p-limits.ts'
import { startMediaKeeper, type MediaKeeper } from './media-keeper.ts'
import { loadNodeKey } from './node-key.ts'
import { createPushAnnouncer } from './push-announcer.ts'
import { createQuotas } from './quotas.ts'
import { createRequestGate } from './request-gate.ts'
import { createTopicSpeakers } from './topic-speakers.ts'

/** A running follower. */
export interface Follower {
  readonly node: Libp2p
  readonly multiaddrs: string[]
  readonly httpUrl: string
  stop(): Promise<void>
}

/** Starts a follower with its storage in `config.dataDir`. */
export async function startFollower (config: FollowerConfig): Promise<Follower> {
  await mkdir(config.dataDir, { recursive: true })
  // Durable: a push is answered only once its records are synced to disk, and concurrent
  // pushes share that sync (group commit). SQLite reads into a page cache of bounded size,
  // where a memory map (LMDB's) left every page a read visited in the process's RSS.
  const backend = await openSqliteBackend({ directory: `${config.dataDir}/records` })
  // A data directory from before SQLite holds an LMDB store, or from before that a file store: carry it over before serving.
  for (const [from, name, migrate] of [['store', 'file store', migrateFileStore], ['lmdb', 'LMDB store', migrateLmdbStore]] as const) {
    const migrated = await migrate({ from: `${config.dataDir}/${from}`, to: backend })
    if (migrated !== undefined) console.log(`moved ${migrated.blocks} blocks and ${migrated.keys} keys from the ${name} into SQLite; the old store is at ${migrated.movedTo}`)
  }
  // The follower alone writes its keys, so each thread's are kept in memory once read.
  const keys = createKeyBook(backend.meta, { soleWriter: true })
  const threads = createThreadBook(backend.meta)
  // Set once the node runs: followed threads' topics are joined so announcements flow through.
  let joinTopic = (_thread: string): void => {}
  // The follower alone writes its database, so the record store may keep indexes it reads often in memory.
  const records = createRecordStore({ backend, soleWriter: true })
  // Media blocks live in a Helia blockstore on disk beside the records, served over bitswap; durable puts share fsyncs.
  const blockstore = await openSqliteBlockstore({ directory: `${config.dataDir}/blocks` })
  // Media kept in LMDB before SQLite: carried over before the records that name them are served.
  const migratedMedia = await migrateLmdbBlockstore({ directory: `${config.dataDir}/blocks`, to: blockstore })
  if (migratedMedia !== undefined) console.log(`moved ${migratedMedia.blocks} media blocks (${migratedMedia.bytes} bytes) from LMDB into SQLite; the old file is at ${migratedMedia.movedTo}`)
  let media: MediaKeeper | undefined
  const replica = createStoreReplica({
    records,
    keys,
    snapshots: createSnapshotShelf({ meta: backend.meta, records, keys, kept: async (thread, manifest) => { await media!.keepPacks(thread, manifest.thumbs ?? []) } }),
    // Set before anything is served: records commit with the media rows they imply.
    hook: (thread) => media!.hook(thread),
    follow: async (request) => {
      await admitFollow(request, { records, keys })
      const { thread } = request
      if ((await threads.get(thread)) === undefined) await threads.put({ id: thread, createdAt: Date.now() })
      joinTopic(thread)
    }
  })
  const { limits } = config
  // Threads per requester, bytes per thread; then how many requests at once (shared by libp2p and HTTP).
  const quotas = createQuotas({ replica, meta: backend.meta, limits })
  const handler = quotas.handler(createSyncHandler(quotas.replica))
  const lag = watchEventLoopLag()
  const gate = createRequestGate(limits, lag.lagMs)
  // Members proven over libp2p may speak on their threads' topics; strangers' gossip is not forwarded.
  const speakers = createTopicSpeakers()
  let running: Libp2p<{ relay: CircuitRelayService }> | undefined
  const node = await createLibp2p(withBaseOptions({
    privateKey: await loadNodeKey(config.dataDir),
    addresses: {
      listen: [`/ip4/${config.host}/tcp/${config.port}/ws`],
      announce: [...config.announce]
    },
    connectionManager: connectionManagerOptions(limits),
    connectionGater: limitsGater(limits, () => running),
    services: {
      ping: ping(),
      // Relayed connections carry WebRTC signalling between browsers, within data and time limits, not sync.
      relay: circuitRelayServer({ reservations: relayReservationOptions(limits) }),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, ...gossipLimits })
    }
  }))
  running = node
  releaseReservationsOnDisconnect(node)
  joinTopic = (thread) => {
    node.services.pubsub.topicValidators.set(thread, topicValidator(thread, speakers))
    node.services.pubsub.subscribe(thread)
  }
  for (const thread of await threads.list()) joinTopic(thread.id)
  const blockNode = await startBlockNode(createLightHelia, { libp2p: node, blockstore })
  media = await startMediaKeeper({ meta: backend.meta, store: blockstore, node: blockNode, quota: quotas.media })
  const keeper = media
  const admit = (requester: string): (() => void) | ThreadsError => {
    const pass = gate.enter(requester)
    return pass instanceof ThreadsError ? pass : () => { pass.release() }
  }
  // Members hear of a stored push from here at once, over libp2p and HTTP alike.
  const announcePush = createPushAnnouncer({
    heads: async (thread) => await replica.heads(thread),
    listeners: (thread) => node.services.pubsub.getSubscribers(thread).length,
    publish: async (thread, data) => await node.services.pubsub.publish(thread, data)
  })
  const announcing: typeof handler = async (request, requester, context) => {
    // How long requests take inside the follower sets how many it takes at once (request-gate.ts).
    const start = performance.now()
    try {
      const handled = await handler(request, requester, context)
      announcePush(request, handled)
      return handled
    } finally {
      gate.handled(performance.now() - start)
    }
  }
  const serveLibp2p = async (request: SyncRequest, from: Requester): Promise<HandledRequest> => {
    const handled = await announcing(request, from.ip ?? from.peer, from)
    speakers.served(request, handled.response, from.remotePeer)
    return handled
  }
  await serveSync(node, serveLibp2p, { admit: (from) => admit(from.peer) })
  // Sessions save members a protocol round trip per request; each request in one passes the same gate as it begins
  // (an idle session holds no place), and a peer holds as many sessions at once as it may have requests under way.
  await serveSyncSessions(node, serveLibp2p, { admit: (from) => admit(from.peer), maxSessionsPerPeer: limits.maxConcurrentRequestsPerPeer })
  const http = await startHttp({ host: config.host, port: config.httpPort, node, handler: announcing, gate, corsOrigins: config.corsOrigins, retryAfterSeconds: limits.retryAfterSeconds,
    maxConnections: limits.maxConnections,
    maxConnectionsPerIp: limits.maxConnectionsPerIp,
    acceptBlock: keeper.accept,
    getBlock: keeper.get,
    hasBlock: async (cid) => await blockstore.has(cid),
    report: () => ({ media: keeper.status() })
  })
  const multiaddrs = node.getMultiaddrs().map((a) => a.toString())
  return {
    node,
    multiaddrs,
    httpUrl: http.url,
    async stop () {
      await http.close()
      await keeper.stop()
      await blockNode.stop()
      await node.stop()
      await blockstore.close()
      await quotas.settled()
      await backend.close()
      lag.stop()
    }
  }
}
