/**
 * A libp2p peer that dials followers over WebSockets and speaks the sync
 * protocol: what a Node writer (and tests) use. Browsers wire their own node in
 * the SharedWorker with relay and WebRTC transports.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { SyncTransport } from '../../core/sync/engine.ts'
import { withBaseOptions } from './base-options.ts'
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
  const node = await createLibp2p(withBaseOptions({}))
  return {
    node,
    transportTo: (address) => libp2pSyncTransport(node, multiaddr(address)),
    stop: async () => { await node.stop() }
  }
}
