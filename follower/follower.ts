/**
 * The follower: a Node peer that relays for browsers and keeps the logs of
 * threads its members asked it to follow, holding follow keys only. It wires
 * the core (record store, key book, sync handler) to an LMDB database on disk, a libp2p
 * node (WebSockets, circuit relay v2 server, gossipsub) and an HTTP server.
 */
import { mkdir } from 'node:fs/promises'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { gossipsub } from '@libp2p/gossipsub'
import { ping } from '@libp2p/ping'
import { createLibp2p, type Libp2p } from 'libp2p'
import { withBaseOptions } from '../src/adapters/libp2p/base-options.ts'
import { migrateFileStore, openLmdbBackend } from '../src/adapters/node/index.ts'
import { serveSync } from '../src/adapters/libp2p/sync-protocol.ts'
import { createRecordStore } from '../src/core/log/record-store.ts'
import { createCachedBackend } from '../src/core/storage/cached-backend.ts'
import { createKeyBook } from '../src/core/storage/key-book.ts'
import { createThreadBook } from '../src/core/storage/thread-book.ts'
import { admitFollow } from '../src/core/sync/follow-admission.ts'
import { createSyncHandler } from '../src/core/sync/handler.ts'
import { createStoreReplica } from '../src/core/sync/replica.ts'
import type { FollowerConfig } from './config.ts'
import { startHttp } from './http.ts'
import { loadNodeKey } from './node-key.ts'

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
  // pushes share that sync (group commit). Fresh records are the ones most asked for:
  // keep recent blocks and rows in memory.
  const store = await openLmdbBackend({ directory: `${config.dataDir}/lmdb` })
  // A data directory from before LMDB holds a file store: carry it over before serving.
  const migrated = await migrateFileStore({ from: `${config.dataDir}/store`, to: store })
  if (migrated !== undefined) console.log(`moved ${migrated.blocks} blocks and ${migrated.keys} keys from the file store into LMDB; the old store is at ${migrated.movedTo}`)
  const backend = createCachedBackend(store, 128 * 1024 * 1024)
  const keys = createKeyBook(backend.meta)
  const threads = createThreadBook(backend.meta)
  // Set once the node runs: followed threads' topics are joined so announcements flow through.
  let joinTopic = (_thread: string): void => {}
  const records = createRecordStore({ backend })
  const replica = createStoreReplica({
    records,
    keys,
    follow: async (request) => {
      await admitFollow(request, { records, keys })
      const { thread } = request
      if ((await threads.get(thread)) === undefined) await threads.put({ id: thread, createdAt: Date.now() })
      joinTopic(thread)
    }
  })
  const handler = createSyncHandler(replica)
  const node = await createLibp2p(withBaseOptions({
    privateKey: await loadNodeKey(config.dataDir),
    addresses: {
      listen: [`/ip4/${config.host}/tcp/${config.port}/ws`],
      announce: [...config.announce]
    },
    // Every browser behind one NAT, and every test on this machine, shares an IP: allow bursts of them.
    connectionManager: { inboundConnectionThreshold: 100, maxIncomingPendingConnections: 64 },
    services: {
      ping: ping(),
      // Relayed browser connections carry sync and gossip, so they are not limited here;
      // a public follower would set its own quotas instead.
      relay: circuitRelayServer({ reservations: { applyDefaultLimit: false, maxReservations: 256 } }),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true })
    }
  }))
  joinTopic = (thread) => { node.services.pubsub.subscribe(thread) }
  for (const thread of await threads.list()) joinTopic(thread.id)
  await serveSync(node, handler)
  const http = await startHttp({ host: config.host, port: config.httpPort, node, handler })
  const multiaddrs = node.getMultiaddrs().map((a) => a.toString())
  return {
    node,
    multiaddrs,
    httpUrl: http.url,
    async stop () {
      await http.close()
      await node.stop()
      await backend.close()
    }
  }
}
