/**
 * The worker's libp2p node: WebSockets (to followers), circuit relay (to be
 * reachable through a follower), WebRTC (direct connections to other
 * browsers, signalled through the relay), noise, yamux, identify, and
 * gossipsub, on which each thread's ID is a topic.
 *
 * WebRTC connections are made by a tab on the worker's behalf (see
 * rtc-bridge/): the bridge is installed as the worker's RTCPeerConnection
 * before the WebRTC transport loads, since it reads that global once.
 * Followers on this machine listen on plain ws on loopback, which browser
 * libp2p refuses by default, so dialling them is allowed explicitly.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { createLibp2p, type Libp2p } from 'libp2p'
import { withBaseOptions } from '../src/adapters/libp2p/base-options.ts'
import { buildIceServers } from '../src/protocol/ice-servers.ts'
import { installRtcBridge } from './rtc-bridge/install.ts'

/** The worker's node, with gossipsub for each thread's topic. */
export type WorkerNode = Libp2p<{ pubsub: GossipSub }>

/** Starts the worker's node; it becomes reachable once it holds a reservation on a follower's relay. */
export async function startWorkerNode (): Promise<WorkerNode> {
  installRtcBridge()
  const { webRTC } = await import('@libp2p/webrtc')
  return await createLibp2p(withBaseOptions({
    // Reachable through any relay we hold a reservation on, and by WebRTC signalled over it.
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [
      circuitRelayTransport(),
      // The build's STUN/TURN servers (none by default: on a closed network host candidates are enough
      // between browsers that can reach each other); a tab with servers set in the app uses those instead.
      webRTC({ rtcConfiguration: { iceServers: buildIceServers().map((s) => ({ ...s, urls: typeof s.urls === 'string' ? s.urls : [...s.urls] })) } })
    ],
    services: { pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) }
  }))
}
