/**
 * An album service as a tab meets it, in Node: memory storage, the given
 * follower transport and topics, served over a real MessageChannel through the
 * same RPC server and client the SharedWorker and the page use.
 */
import { afterEach } from 'vitest'
import type { KeyValueStore } from '../../src/core/storage/interfaces.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import type { SyncTransport } from '../../src/core/sync/engine.ts'
import { PROTOCOL_VERSION } from '../../src/protocol/messages.ts'
import { createRpcClient, type RpcClient } from '../../src/protocol/rpc-client.ts'
import { serveRpc, type RpcServer } from '../../src/protocol/rpc-server.ts'
import { createAlbumService, type AlbumService, type AlbumServiceOptions } from '../../src/services/album-service.ts'
import type { Topics } from '../../src/services/topics.ts'

export const FOLLOWER_ADDRESS = '/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWGRUVh7eE7Drz3Cqhx9hBUKbMfAUeLnqMZBkMKigYXwsH'

/** A started service and a tab's client on it; `close()` ends both. */
export interface AlbumNode {
  readonly service: AlbumService
  readonly tab: RpcClient
  readonly server: RpcServer
  close(): Promise<void>
}

/** Starts a service over memory storage and connects a tab to it. */
export async function startAlbumNode ({ follower, topics, direct, snapshots, media }: { follower?: SyncTransport, topics: Topics, direct?: AlbumServiceOptions['direct'], snapshots?: AlbumServiceOptions['snapshots'], media?: (meta: KeyValueStore) => NonNullable<AlbumServiceOptions['media']> }): Promise<AlbumNode> {
  const backend = createMemoryBackend()
  const service = createAlbumService({
    backend,
    ...(follower === undefined ? {} : { follower: { address: FOLLOWER_ADDRESS, transport: follower } }),
    topics,
    ...(direct === undefined ? {} : { direct }),
    ...(snapshots === undefined ? {} : { snapshots }),
    ...(media === undefined ? {} : { media: media(backend.meta) }),
    // Only writes and announcements start syncs here: a sync that happens proves the change path works.
    followerSync: { intervalMs: 600_000, maxBackoffMs: 200 }
  })
  await service.start()
  const { port1, port2 } = new MessageChannel()
  const server = serveRpc({ port: port1, handlers: { hello: () => ({ type: 'ready', workerId: 'test', protocol: PROTOCOL_VERSION }), ...service.handlers } })
  const tab = createRpcClient({ port: port2, timeoutMs: 60_000 })
  return {
    service,
    tab,
    server,
    async close () {
      tab.close()
      server.close()
      await service.stop()
      await backend.close()
    }
  }
}

/** Starts album nodes for one test file, each closed after the test that started it. */
export function albumNodesPerTest (): (options: Parameters<typeof startAlbumNode>[0]) => Promise<AlbumNode> {
  const started: AlbumNode[] = []
  afterEach(async () => { for (const node of started.splice(0)) await node.close() })
  return async (options) => {
    const node = await startAlbumNode(options)
    started.push(node)
    return node
  }
}
