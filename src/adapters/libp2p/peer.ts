/**
 * A libp2p peer that dials followers over WebSockets and speaks the sync
 * protocol: what a Node writer (and tests) use. Browsers wire their own node in
 * the SharedWorker with relay and WebRTC transports.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { SyncTransport } from '../../core/sync/engine.ts'
import { libp2pSyncTransport } from './sync-protocol.ts'

/** A started peer and a way to reach a follower at a multiaddr. */
export interface SyncPeer {
  readonly node: Libp2p
  /** A sync transport to the peer at `address` (dialled on first use). */
  transportTo(address: string): SyncTransport
  stop(): Promise<void>
}

/** Starts a dial-only peer. */
export async function startSyncPeer (): Promise<SyncPeer> {
  const node = await createLibp2p({
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Followers on this machine listen on loopback over plain ws; production ones use wss.
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify() }
  })
  return {
    node,
    transportTo: (address) => libp2pSyncTransport(node, multiaddr(address)),
    stop: async () => { await node.stop() }
  }
}
