/**
 * A stand-in libp2p node for direct peers' tests: it records dials (what each
 * dial does is the test's `answer`), opens a WebRTC-like connection when told
 * to, counts its listeners, and hands what is published to `publish` (a topic
 * bus, or nothing). Peer IDs are real Ed25519 ones.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection, PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { DirectPeersNode } from '../../src/services/direct-peers.ts'

export const RELAY = '/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWGRUVh7eE7Drz3Cqhx9hBUKbMfAUeLnqMZBkMKigYXwsH'
export const newPeer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
export const circuit = (peer: PeerId): string => `${RELAY}/p2p-circuit/webrtc/p2p/${peer.toString()}`

/** Two peer IDs, the first smaller (so it is the one that dials at once). */
export async function orderedPeers (): Promise<[PeerId, PeerId]> {
  const [a, b] = [await newPeer(), await newPeer()]
  return a.toString() < b.toString() ? [a, b] : [b, a]
}

/** The tabs carrying connections, as direct peers see them: none arrive or leave here; counts who listens. */
export function carrierChanges () {
  const listeners = new Set<() => void>()
  return { listeners, onChange: (listener: () => void) => { listeners.add(listener); return () => { listeners.delete(listener) } } }
}

/** A node that records dials; `answer` decides what each dial does. */
export function fakeNode (self: PeerId, answer: (attempt: number, signal: AbortSignal, addrs: Multiaddr[]) => Promise<void>, publish: (topic: string, data: Uint8Array) => Promise<void> = async () => {}) {
  const events = new EventTarget()
  const listening = new Map<string, number>()
  const connections: Connection[] = []
  const dials: Array<{ addrs: string[], signal: AbortSignal }> = []
  const published: Uint8Array[] = []
  const node = {
    peerId: self,
    getMultiaddrs: () => [multiaddr(circuit(self))],
    getConnections: (peer?: PeerId) => connections.filter((c) => peer === undefined || c.remotePeer.equals(peer)),
    addEventListener: (type: string, listener: EventListener) => { listening.set(type, (listening.get(type) ?? 0) + 1); events.addEventListener(type, listener) },
    removeEventListener: (type: string, listener: EventListener) => { listening.set(type, (listening.get(type) ?? 0) - 1); events.removeEventListener(type, listener) },
    services: { pubsub: { publish: async (topic: string, data: Uint8Array) => { published.push(data); await publish(topic, data) } } },
    dial: async (addrs: Multiaddr[], options: { signal: AbortSignal }) => {
      dials.push({ addrs: addrs.map(String), signal: options.signal })
      await answer(dials.length, options.signal, addrs)
    }
  }
  const connect = (peer: PeerId): void => {
    const connection = { remotePeer: peer, remoteAddr: multiaddr(circuit(peer)), direct: true, status: 'open', direction: 'outbound', timeline: { open: Date.now() }, close: async () => {} } as unknown as Connection
    connections.push(connection)
    events.dispatchEvent(new CustomEvent('connection:open', { detail: connection }))
  }
  return { node: node as unknown as DirectPeersNode, dials, published, connect, listening }
}
