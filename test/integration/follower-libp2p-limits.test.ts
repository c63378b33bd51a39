/**
 * The follower's libp2p limits against real follower processes with small
 * limits, as strangers meet them: connections past one address's share, its
 * rate or everyone's, relay reservations past an address's share, relayed
 * connections past their data or duration, gossip messages over the
 * protocol's size, not topic messages, or from strangers on a thread's topic.
 * libp2p refuses a connection by closing it and a reservation by its status;
 * the tests check that the stranger is refused and that an honest peer
 * connected before keeps syncing, and one arriving after the stranger leaves
 * is served.
 */
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import type { Socket } from 'node:net'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import type { Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { describe, expect, it, vi } from 'vitest'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { withBaseOptions } from '../../src/adapters/libp2p/base-options.ts'
import { startSyncPeer, type SyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { libp2pSyncTransport } from '../../src/adapters/libp2p/sync-protocol.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'

const WAIT = { timeout: 30_000, interval: 50 }
const SINK = '/threads-test/sink/1'

describe('libp2p limits of a real follower', { timeout: 180_000 }, () => {
  const cleanup = cleanupAfterAll()

  const follower = async (flags: string[]): Promise<FollowerProcess> => {
    const started = await startFollowerProcess(await tempDir('threads-libp2p-limits-', cleanup), { flags })
    cleanup(async () => await started.stop())
    return started
  }
  const connections = async (f: FollowerProcess): Promise<number> => ((await (await fetch(`${f.httpUrl}/health`)).json()) as { connections: number }).connections
  const peer = async (): Promise<SyncPeer> => {
    const started = await startSyncPeer()
    cleanup(async () => await started.stop())
    return started
  }

  /** A writer following a new thread on `f` through `via`, which then pushes a photo and gets it acknowledged. */
  const honestSyncs = async (f: FollowerProcess, via: SyncPeer): Promise<void> => {
    const writer = openDatabase({ backend: createMemoryBackend() })
    const thread = await writer.createThread({ name: 'Honest' })
    const transport = via.transportTo(f.multiaddr)
    expect((await transport.request(await thread.followRequest())).type).toBe('following')
    await thread.collection('photos').create({ _id: 'p1', title: 'served' })
    expect(await syncThread({ thread: thread.id, replica: writer.syncReplica(), transport })).toMatchObject({ pushed: 1 })
  }

  /** Peers dial `f` one after another until one is refused (at most `bound` dials); the connected ones are returned. */
  const dialUntilRefused = async (f: FollowerProcess, bound: number): Promise<{ connected: SyncPeer[], refused: unknown }> => {
    const connected: SyncPeer[] = []
    for (let i = 0; i < bound; i++) {
      const stranger = await peer()
      try {
        await stranger.node.dial(multiaddr(f.multiaddr), { signal: AbortSignal.timeout(20_000) })
        // A connection closed right after its upgrade was refused too: wait until the follower counts it or it is gone.
        await vi.waitFor(async () => { expect(stranger.node.getConnections().length === 0 || await connections(f) >= connected.length + 2).toBe(true) }, WAIT)
        if (stranger.node.getConnections().length === 0) return { connected, refused: new Error('closed after the upgrade') }
        connected.push(stranger)
      } catch (error) {
        return { connected, refused: error }
      }
    }
    return { connected, refused: undefined }
  }

  for (const [what, flags] of [
    ['one address\'s share', ['--max-connections-per-ip', '3']],
    ['everyone\'s', ['--max-connections', '3', '--max-connections-per-ip', '100']]
  ] as const) {
    it(`refuses connections past ${what}, keeps serving the peer connected before, and serves a new one once strangers leave`, async () => {
      const f = await follower([...flags])
      const honest = await peer()
      await honestSyncs(f, honest)
      const { connected, refused } = await dialUntilRefused(f, 10)
      expect(refused).toBeDefined()
      expect(connected).toHaveLength(2)
      await honestSyncs(f, honest)
      for (const stranger of connected) await stranger.stop()
      await vi.waitFor(async () => { expect(await connections(f)).toBe(1) }, WAIT)
      await honestSyncs(f, await peer())
    })
  }

  it('refuses new connections from an address past its rate, keeps serving the peer connected before, and takes that address again a moment later', async () => {
    const f = await follower(['--connections-per-ip-per-second', '4', '--max-connections-per-ip', '100'])
    const honest = await peer()
    await honestSyncs(f, honest)
    // Twelve strangers from the same address dial at once: at most four a second get in.
    const strangers = await Promise.all(Array.from({ length: 12 }, async () => await peer()))
    const dials = await Promise.allSettled(strangers.map(async (s) => await s.node.dial(multiaddr(f.multiaddr), { signal: AbortSignal.timeout(20_000) })))
    const refused = dials.filter((d) => d.status === 'rejected')
    expect(refused.length).toBeGreaterThanOrEqual(4)
    await honestSyncs(f, honest)
    for (const s of strangers) await s.stop()
    // The rate is per second: a newcomer from the address is served once it has passed.
    await vi.waitFor(async () => { await honestSyncs(f, await peer()) }, WAIT)
  })

  it('gives up on connections that never finish their upgrade, refusing others past the pending limit meanwhile', async () => {
    const f = await follower(['--max-pending-connections', '2', '--inbound-upgrade-timeout-ms', '10000'])
    const parts = multiaddr(f.multiaddr).getComponents()
    const host = parts.find((c) => c.name === 'ip4')!.value!
    const port = Number(parts.find((c) => c.name === 'tcp')!.value)
    /** A WebSocket that opens and then says nothing, so libp2p waits for its upgrade; resolves with whether the follower sent it a close frame. */
    const silent = async (): Promise<{ socket: Socket, closedByFollower: Promise<void> }> => await new Promise((resolve, reject) => {
      const request = httpRequest({ host, port, headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64') } })
      request.on('upgrade', (_response, socket: Socket) => {
        cleanup(async () => { socket.destroy() })
        // 0x88 opens a WebSocket close frame: the follower's side ending the connection.
        const closedByFollower = new Promise<void>((done) => { socket.on('data', (data: Buffer) => { if (data[0] === 0x88) done() }) })
        resolve({ socket, closedByFollower })
      })
      request.on('error', reject)
      request.end()
    })
    const stalled = [await silent(), await silent()]
    await expect((await peer()).node.dial(multiaddr(f.multiaddr), { signal: AbortSignal.timeout(5000) })).rejects.toThrow()
    // The follower ends them once their upgrade time is up, and then serves an honest peer.
    await Promise.all(stalled.map(async ({ closedByFollower }) => { await closedByFollower }))
    for (const { socket } of stalled) socket.destroy()
    await honestSyncs(f, await peer())
  })

  /** A node that listens through the follower's relay; its start fails when the reservation is refused. */
  const relayed = async (f: FollowerProcess): Promise<Libp2p> => {
    const node = await createLibp2p(withBaseOptions({ addresses: { listen: [`${f.multiaddr}/p2p-circuit`] }, transports: [circuitRelayTransport()] }))
    cleanup(async () => await node.stop())
    return node
  }

  for (const [what, flag, status] of [
    ['one address\'s share', '--max-reservations-per-ip', /PERMISSION_DENIED/],
    ['everyone\'s', '--max-reservations', /RESERVATION_REFUSED/]
  ] as const) {
    it(`refuses relay reservations past ${what}, and frees a leaver's place at once rather than when it expires`, async () => {
      const f = await follower([flag, '2'])
      const first = await relayed(f)
      await relayed(f)
      await expect(relayed(f)).rejects.toThrow(status)
      await first.stop()
      await vi.waitFor(async () => { expect(await connections(f)).toBe(1) }, WAIT)
      const after = await relayed(f)
      expect(after.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit'))).toBe(true)
    })
  }

  /** A follower with `flags`; a listener reachable through its relay, counting what reaches it on SINK; a sender dialling it there. */
  const relayPair = async (flags: string[]): Promise<{ listener: Libp2p, sender: Libp2p, target: ReturnType<typeof multiaddr>, received: { count: number } }> => {
    const f = await follower(flags)
    const listener = await relayed(f)
    const received = { count: 0 }
    await listener.handle(SINK, async (stream: Stream) => {
      for await (const chunk of stream) received.count += chunk.byteLength
    }, { runOnLimitedConnection: true })
    const sender = await createLibp2p(withBaseOptions({ transports: [circuitRelayTransport()] }))
    cleanup(async () => await sender.stop())
    return { listener, sender, target: multiaddr(`${f.multiaddr}/p2p-circuit/p2p/${listener.peerId.toString()}`), received }
  }

  it('cuts a relayed connection past its data limit, so the relay carries signalling and not bulk data', async () => {
    const limit = 16 * 1024
    const { listener, sender, target, received: bytes } = await relayPair(['--relay-data-limit-bytes', String(limit)])
    const received = (): number => bytes.count

    /** Sends up to `chunks` of 16 KiB; how many went before the stream failed. */
    const send = async (chunks: number): Promise<number> => {
      const stream = await sender.dialProtocol(target, SINK, { runOnLimitedConnection: true })
      let sent = 0
      try {
        for (; sent < chunks; sent++) {
          if (!stream.send(new Uint8Array(16 * 1024))) await stream.onDrain({ signal: AbortSignal.timeout(20_000) })
        }
        await stream.close({ signal: AbortSignal.timeout(20_000) })
      } catch {
        return sent
      }
      return sent
    }
    await send(64)
    await vi.waitFor(async () => { expect(sender.getConnections(listener.peerId)).toHaveLength(0) }, WAIT)
    expect(received()).toBeLessThan(2 * limit)

    // A small exchange, like signalling, still goes through on a fresh relayed connection.
    const before = received()
    expect(await send(0)).toBe(0)
    const stream = await sender.dialProtocol(target, SINK, { runOnLimitedConnection: true })
    stream.send(new Uint8Array(1000))
    await stream.close()
    await vi.waitFor(() => { expect(received()).toBe(before + 1000) }, WAIT)
  })

  it('closes a relayed connection past its duration limit, however little it carries', async () => {
    const { listener, sender, target, received } = await relayPair(['--relay-duration-limit-ms', '3000'])
    const stream = await sender.dialProtocol(target, SINK, { runOnLimitedConnection: true })
    stream.send(new Uint8Array(100))
    await vi.waitFor(() => { expect(received.count).toBe(100) }, WAIT)
    // Well within the data limit, the relay still ends it once its time is up.
    await vi.waitFor(() => { expect(sender.getConnections(listener.peerId)).toHaveLength(0) }, WAIT)
    // Both ends keep their own connections to the follower, and a new relayed connection works.
    expect(listener.getConnections().length).toBeGreaterThan(0)
    const again = await sender.dialProtocol(target, SINK, { runOnLimitedConnection: true })
    again.send(new Uint8Array(10))
    await again.close()
    await vi.waitFor(() => { expect(received.count).toBe(110) }, WAIT)
  })

  it('drops gossip over 1 KiB or not a topic message, and forwards on a thread\'s topic only what its members say', async () => {
    const f = await follower([])
    const writer = openDatabase({ backend: createMemoryBackend() })
    const thread = await writer.createThread({ name: 'Topic' })
    expect((await httpSyncTransport(f.httpUrl).request(await thread.followRequest())).type).toBe('following')
    const gossiper = async (): Promise<Libp2p<{ pubsub: GossipSub }>> => {
      const node = await createLibp2p(withBaseOptions({ services: { pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) } }))
      cleanup(async () => await node.stop())
      node.services.pubsub.subscribe(thread.id)
      await node.dial(multiaddr(f.multiaddr))
      return node
    }
    /** A member's node proves membership as members do: by syncing with a pull proof naming its own peer. */
    const member = async (): Promise<Libp2p<{ pubsub: GossipSub }>> => {
      const node = await gossiper()
      await syncThread({ thread: thread.id, replica: writer.syncReplica(), transport: libp2pSyncTransport(node, multiaddr(f.multiaddr)) })
      return node
    }
    const stranger = await gossiper()
    const speaker = await member()
    const listener = await member()
    const heard: string[] = []
    listener.services.pubsub.addEventListener('message', ({ detail }) => { heard.push(new TextDecoder().decode(detail.data)) })
    const say = async (node: Libp2p<{ pubsub: GossipSub }>, text: string): Promise<void> => { await node.services.pubsub.publish(thread.id, new TextEncoder().encode(text)) }

    // The mesh forms within a few heartbeats: repeat a member's valid message until it arrives (bounded).
    const records = JSON.stringify({ v: 1, type: 'records' })
    for (let i = 0; i < 60 && heard.length === 0; i++) {
      await say(speaker, records)
      await vi.waitFor(() => { expect(heard.length).toBeGreaterThan(0) }, { timeout: 1000, interval: 50 }).catch(() => {})
    }
    expect(heard[0]).toBe(records)
    heard.length = 0

    // A stranger's valid messages are not forwarded; neither are anyone's oversized or unreadable ones.
    await say(stranger, records)
    await say(stranger, JSON.stringify({ v: 1, type: 'presence', addrs: ['/stranger'] }))
    await say(speaker, JSON.stringify({ v: 1, type: 'presence', addrs: ['x'.repeat(500), 'y'.repeat(500), 'z'.repeat(500)] }))
    await say(speaker, 'not json')
    await say(speaker, JSON.stringify({ v: 1, type: 'takeover' }))
    const marker = JSON.stringify({ v: 1, type: 'presence', addrs: ['/marker'] })
    await say(speaker, marker)
    await vi.waitFor(() => { expect(heard).toContain(marker) }, WAIT)
    expect(heard).toEqual([marker])
  })
})
