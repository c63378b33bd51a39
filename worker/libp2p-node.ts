/**
 * The worker's libp2p node: WebSockets (to followers) and circuit-relay
 * transports, noise, yamux, identify, and gossipsub, on which each thread's
 * ID is a topic: a writer announces there that it has new records, and the
 * others sync at once instead of at their next timer. Followers on this machine listen on
 * plain ws on loopback, which browser libp2p refuses by default, so dialling
 * them is allowed explicitly.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p, type Libp2p } from 'libp2p'

/** The worker's node, with gossipsub for change announcements on each thread's topic. */
export type WorkerNode = Libp2p<{ pubsub: GossipSub }>

/** Starts the worker's node (dial only; it listens through relays later). */
export async function startWorkerNode (): Promise<WorkerNode> {
  return await createLibp2p({
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) }
  })
}
