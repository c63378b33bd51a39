/**
 * Finding and keeping direct peers, against a stand-in libp2p node: a dial
 * that hangs is cut and retried, a connection starts syncing the thread, and
 * presence naming someone else's addresses is not dialled.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection, PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it, vi } from 'vitest'
import type { SyncScheduler } from '../../src/core/sync/scheduler.ts'
import { startDirectPeers } from '../../worker/direct-peers.ts'
import type { WorkerNode } from '../../worker/libp2p-node.ts'
import { CarrierPool } from '../../worker/rtc-bridge/carriers.ts'
import { encodeTopicMessage } from '../../worker/topic-messages.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const THREAD = 'bafkthread'
const RELAY = '/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWGRUVh7eE7Drz3Cqhx9hBUKbMfAUeLnqMZBkMKigYXwsH'
const newPeer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
const circuit = (peer: PeerId): string => `${RELAY}/p2p-circuit/webrtc/p2p/${peer.toString()}`

/** Two peer IDs, the first smaller (so it is the one that dials at once). */
async function orderedPeers (): Promise<[PeerId, PeerId]> {
  const [a, b] = [await newPeer(), await newPeer()]
  return a.toString() < b.toString() ? [a, b] : [b, a]
}

/** A node that records dials; `answer` decides what each dial does. */
function fakeNode (self: PeerId, answer: (attempt: number, signal: AbortSignal, addrs: Multiaddr[]) => Promise<void>) {
  const events = new EventTarget()
  const connections: Connection[] = []
  const dials: Array<{ addrs: string[], signal: AbortSignal }> = []
  const published: Uint8Array[] = []
  const node = {
    peerId: self,
    getMultiaddrs: () => [multiaddr(circuit(self))],
    getConnections: (peer?: PeerId) => connections.filter((c) => peer === undefined || c.remotePeer.equals(peer)),
    addEventListener: (type: string, listener: EventListener) => { events.addEventListener(type, listener) },
    services: { pubsub: { publish: async (_topic: string, data: Uint8Array) => { published.push(data) } } },
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
  return { node: node as unknown as WorkerNode, dials, published, connect }
}

const hangUntilAborted = async (signal: AbortSignal): Promise<void> => {
  await new Promise<void>((_resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason as Error) }) })
}

describe('direct peers', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('cuts a dial that hangs, retries it, and syncs the thread over the connection it makes', async () => {
    const [self, other] = await orderedPeers()
    let fake: ReturnType<typeof fakeNode> | undefined
    fake = fakeNode(self, async (attempt, signal) => {
      if (attempt === 1) await hangUntilAborted(signal)
      else fake!.connect(other)
    })
    const started: string[] = []
    const peers = startDirectPeers({
      node: fake.node,
      carriers: new CarrierPool(),
      onChange: () => {},
      dialTimeoutMs: 200,
      startSync: (thread, peer) => {
        started.push(`${thread} ${peer.toString()}`)
        return { kick: vi.fn(), status: vi.fn(), stop: async () => {} } as unknown as SyncScheduler
      }
    })
    peers.track(THREAD)
    peers.onTopicMessage(THREAD, other, encodeTopicMessage({ type: 'presence', addrs: [circuit(other)] }))

    await vi.waitFor(() => { expect(started).toEqual([`${THREAD} ${other.toString()}`]) }, { timeout: LOADED_MACHINE_TIMEOUT_MS / 2 })
    expect(fake.dials).toHaveLength(2)
    expect(fake.dials[0]!.signal.aborted).toBe(true) // the hanging dial was cut, not left to run
    expect(fake.dials[1]!.addrs).toEqual([circuit(other)])
    expect(peers.count(THREAD)).toBe(1)
    expect(peers.since(THREAD)).toBeGreaterThan(0)
  })

  it('does not dial addresses that belong to someone other than the sender', async () => {
    const [self, other] = await orderedPeers()
    const stranger = await newPeer()
    const fake = fakeNode(self, async () => {})
    const peers = startDirectPeers({ node: fake.node, carriers: new CarrierPool(), onChange: () => {}, startSync: () => { throw new Error('no sync expected') } })
    peers.track(THREAD)
    peers.onTopicMessage(THREAD, other, encodeTopicMessage({ type: 'presence', addrs: [circuit(stranger), `${RELAY}/p2p-circuit/p2p/${other.toString()}`] }))
    peers.onTopicMessage(THREAD, other, new TextEncoder().encode('{"v":1,"type":"presence","addrs":"nope"}'))
    // Then the sender's own address: messages are handled in order, so a dial to anything sent
    // before would come first. The one dial made is to the address that is the sender's.
    peers.onTopicMessage(THREAD, other, encodeTopicMessage({ type: 'presence', addrs: [circuit(other)] }))
    await vi.waitFor(() => { expect(fake.dials).not.toHaveLength(0) }, { timeout: LOADED_MACHINE_TIMEOUT_MS / 2 })
    expect(fake.dials.map((d) => d.addrs)).toEqual([[circuit(other)]])
    expect(peers.count(THREAD)).toBe(0)
  })

  it('says it is present on a tracked thread, with its own WebRTC address', async () => {
    const [self] = await orderedPeers()
    const fake = fakeNode(self, async () => {})
    startDirectPeers({ node: fake.node, carriers: new CarrierPool(), onChange: () => {}, startSync: () => { throw new Error('no sync expected') } }).track(THREAD)
    expect(fake.published.map((m) => JSON.parse(new TextDecoder().decode(m)) as unknown)).toEqual([{ v: 1, type: 'presence', addrs: [circuit(self)] }])
  })
})
