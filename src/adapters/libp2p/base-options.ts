/**
 * The libp2p options every Threads node shares (the browser worker's node, the
 * follower, a Node sync peer): WebSockets, noise, yamux and identify, and a
 * gater that lets it dial followers on this machine. Each host adds its own
 * transports, services, addresses and limits on top.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import type { ServiceMap } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import type { Libp2pOptions } from 'libp2p'

/** The least time a liveness ping may take before its connection is judged dead and aborted. */
export const PING_TIMEOUT_FLOOR_MS = 20_000

/** `own` on top of the shared base: its transports come after WebSockets, its services beside identify. */
export function withBaseOptions<T extends ServiceMap> (own: Libp2pOptions<T>): Libp2pOptions<T & { identify: Identify }> {
  return {
    ...own,
    transports: [webSockets(), ...(own.transports ?? [])],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Pings stay on: they are how a connection that went silent without closing (a network that vanished)
    // is found and redialled. But a ping queued behind megabytes of a photo on a busy two-core machine can
    // take longer than libp2p's default 5 s minimum, and aborting then resets the very transfer that kept
    // the connection busy; a longer floor still finds a dead connection within about half a minute.
    connectionMonitor: { pingTimeout: { minTimeout: PING_TIMEOUT_FLOOR_MS }, ...own.connectionMonitor },
    // Followers on this machine listen on loopback over plain ws, which browser libp2p refuses to dial by
    // default; production followers use wss on public addresses.
    connectionGater: { denyDialMultiaddr: () => false, ...own.connectionGater },
    services: { identify: identify(), ...own.services } as Libp2pOptions<T & { identify: Identify }>['services']
  }
}
