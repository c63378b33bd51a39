/**
 * The follower's libp2p limits (limits.ts), as libp2p takes them: the
 * connection manager's caps, a connection gater that refuses a connection
 * from an IP address already holding its share and a relay reservation past
 * an address's share, the relay server's quotas (relayed connections carry
 * WebRTC signalling, not bulk data), and gossipsub's frame limit and a topic
 * validator that rejects what is not a topic message and does not forward
 * what a thread's members did not say (topic-speakers.ts). libp2p refuses a
 * connection by closing it and a reservation with `PERMISSION_DENIED` or
 * `RESERVATION_REFUSED`: the protocol has no room for words there.
 */
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { TopicValidatorResult, type GossipsubOpts, type TopicValidatorFn } from '@libp2p/gossipsub'
import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import type { Libp2pOptions } from 'libp2p'
import { ipOf } from '../src/adapters/libp2p/sync-protocol.ts'
import { createLogger } from '../src/core/logger.ts'
import { decodeTopicMessage, MAX_TOPIC_MESSAGE_BYTES } from '../src/services/topic-messages.ts'
import type { FollowerLimits } from './limits.ts'
import type { TopicSpeakers } from './topic-speakers.ts'

const log = createLogger('follower:limits')

/**
 * Gossipsub frames (one RPC: messages and control lists) are read up to this;
 * messages themselves are at most MAX_TOPIC_MESSAGE_BYTES, but control lists
 * of message IDs are longer.
 */
const MAX_GOSSIP_FRAME_BYTES = 256 * 1024

/** The parts of the node the gater looks at once it runs. */
type GatedNode = Pick<Libp2p, 'getConnections'> & { readonly services: { readonly relay: CircuitRelayService } }

/** The connection manager's settings for `limits`. */
export function connectionManagerOptions (limits: FollowerLimits): NonNullable<Libp2pOptions['connectionManager']> {
  return {
    maxConnections: limits.maxConnections,
    maxIncomingPendingConnections: limits.maxPendingConnections,
    inboundConnectionThreshold: limits.connectionsPerIpPerSecond,
    inboundUpgradeTimeout: limits.inboundUpgradeTimeoutMs
  }
}

/** The relay server's reservation settings for `limits`. */
export function relayReservationOptions (limits: FollowerLimits): { maxReservations: number, applyDefaultLimit: true, defaultDataLimit: bigint, defaultDurationLimit: number } {
  return {
    maxReservations: limits.maxReservations,
    applyDefaultLimit: true,
    defaultDataLimit: BigInt(limits.relayDataLimitBytes),
    defaultDurationLimit: limits.relayDurationLimitMs
  }
}

/** Gossipsub's frame limit. */
export const gossipLimits: Partial<GossipsubOpts> = { maxInboundDataLength: MAX_GOSSIP_FRAME_BYTES }

/**
 * A gater enforcing the per-IP shares; `node()` is the running node (the gater
 * is made before it). Until the node runs, nothing is refused.
 */
export function limitsGater (limits: FollowerLimits, node: () => GatedNode | undefined): ConnectionGater {
  const connectionsFrom = (ip: string): number => node()?.getConnections().filter((c) => ipOf(c.remoteAddr) === ip).length ?? 0
  return {
    denyInboundConnection: (connection: MultiaddrConnection) => {
      const ip = ipOf(connection.remoteAddr)
      if (ip === undefined || connectionsFrom(ip) < limits.maxConnectionsPerIp) return false
      log(`refused a connection from ${ip}: it holds the ${limits.maxConnectionsPerIp} connections one address may`)
      return true
    },
    denyInboundRelayReservation: (peer: PeerId) => {
      const running = node()
      const ip = running?.getConnections(peer).map((c) => ipOf(c.remoteAddr)).find((a) => a !== undefined)
      if (running === undefined || ip === undefined) return false
      let held = 0
      for (const [holder, reservation] of running.services.relay.reservations.entries()) {
        // Renewing one's own reservation takes no new share, and a holder gone away (its reservation
        // not yet expired) holds none: it cannot be reached through the relay anyway.
        if (!holder.equals(peer) && ipOf(reservation.addr) === ip && running.getConnections(holder).length > 0) held++
      }
      if (held < limits.maxReservationsPerIp) return false
      log(`refused a relay reservation to ${peer.toString()} at ${ip}: its address holds the ${limits.maxReservationsPerIp} reservations one address may`)
      return true
    }
  }
}

/**
 * Frees a peer's relay reservation when its last connection closes. The relay
 * keeps a reservation until its time-to-live (two hours) runs out, so
 * strangers could otherwise connect, reserve and leave until every place is
 * taken; a reservation is of no use to a peer that is gone (nothing can reach
 * it through the relay), and it reserves again when it comes back.
 */
export function releaseReservationsOnDisconnect (node: Pick<Libp2p, 'addEventListener'> & GatedNode): void {
  node.addEventListener('peer:disconnect', ({ detail: peer }) => {
    if (node.services.relay.reservations.delete(peer)) log(`released the relay reservation of ${peer.toString()}, which disconnected`)
  })
}

/**
 * The validator of `thread`'s topic: a message over the size limit or not a
 * topic message this version reads is rejected (it counts against the peer
 * that sent it); one whose author has not proven membership of the thread to
 * this follower is ignored, neither delivered nor forwarded (no penalty: a
 * member may speak before its first proof arrives).
 */
export function topicValidator (thread: string, speakers: TopicSpeakers): TopicValidatorFn {
  return (_peer, message) => {
    if (message.data.byteLength > MAX_TOPIC_MESSAGE_BYTES || decodeTopicMessage(message.data) === undefined) return TopicValidatorResult.Reject
    if (message.type === 'signed' && speakers.maySpeak(thread, message.from.toString())) return TopicValidatorResult.Accept
    log(`did not forward a message on ${thread} from ${message.type === 'signed' ? message.from.toString() : 'an unsigned author'}, who has not proven membership here`)
    return TopicValidatorResult.Ignore
  }
}
