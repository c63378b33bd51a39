/**
 * Sync sessions over real libp2p nodes on loopback: a member's syncs with a
 * peer that serves sessions travel over one stream (no stream, and so no
 * protocol round trip or WebRTC data channel, per request), a session the
 * peer ended meanwhile is replaced without the sync noticing, a peer that
 * serves no sessions is still synced with one stream a request, and a
 * malformed request on a session is answered in words and costs the sender
 * its connection.
 */
import type { Libp2p } from 'libp2p'
import { lpStream } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { serveSync } from '../../src/adapters/libp2p/sync-protocol.ts'
import { libp2pSessionTransport, serveSyncSessions, SYNC_SESSION_PROTOCOL } from '../../src/adapters/libp2p/sync-session.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { createSyncHandler } from '../../src/core/sync/handler.ts'
import { decodeResponse } from '../../src/core/sync/messages.ts'
import { albumOfTwo, loopbackNodesPerTest } from '../helpers/loopback-nodes.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const node = loopbackNodesPerTest()

/** Two people in one album: Alice writes, Bob's node serves the sync protocol (with sessions, or without). */
async function album (options: { sessions: boolean }) {
  const { alice, thread, bob, joined } = await albumOfTwo()
  const server = await node(true)
  const handler = createSyncHandler(bob.syncReplica())
  // Requests served one a stream.
  const single = { count: 0 }
  await serveSync(server, async (request, from) => { single.count++; return await handler(request, from) })
  if (options.sessions) await serveSyncSessions(server, async (request, from) => await handler(request, from))
  const client = await node(false)
  await client.dial(server.getMultiaddrs()[0]!)
  return { alice, thread, bob, joined, server, client, single }
}

const openStreams = (n: Libp2p, protocol: string): number => n.getConnections().flatMap((c) => c.streams).filter((s) => s.protocol === protocol).length

describe('sync sessions over libp2p', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('syncs one write after another over one stream', async () => {
    const a = await album({ sessions: true })
    const transport = libp2pSessionTransport(a.client, a.server.peerId)
    for (const title of ['Beach at dawn', 'Dunes at noon', 'Harbour at dusk']) {
      const photo = await a.thread.collection('photos').create({ title })
      const result = await syncThread({ thread: a.thread.id, replica: a.alice.syncReplica(), transport })
      expect(result.complete).toBe(true)
      expect(a.joined.collection('photos').get(photo)).toMatchObject({ title })
      // The session stays open between syncs, and no one-request stream was needed.
      expect(openStreams(a.client, SYNC_SESSION_PROTOCOL)).toBe(1)
    }
    expect(a.single.count).toBe(0)
    await Promise.all([a.alice.close(), a.bob.close()])
  })

  it('asks again on a fresh session when the peer ended the one kept', async () => {
    const a = await album({ sessions: true })
    const transport = libp2pSessionTransport(a.client, a.server.peerId)
    await a.thread.collection('photos').create({ title: 'Beach at dawn' })
    await syncThread({ thread: a.thread.id, replica: a.alice.syncReplica(), transport })
    // The serving side ends every session it holds (as after its idle wait).
    for (const c of a.server.getConnections()) for (const s of c.streams) if (s.protocol === SYNC_SESSION_PROTOCOL) s.abort(new Error('gone'))
    const photo = await a.thread.collection('photos').create({ title: 'Dunes at noon' })
    const result = await syncThread({ thread: a.thread.id, replica: a.alice.syncReplica(), transport })
    expect(result.complete).toBe(true)
    expect(a.joined.collection('photos').get(photo)).toMatchObject({ title: 'Dunes at noon' })
    await Promise.all([a.alice.close(), a.bob.close()])
  })

  it('syncs one stream a request with a peer that serves no sessions', async () => {
    const a = await album({ sessions: false })
    const transport = libp2pSessionTransport(a.client, a.server.peerId)
    const photo = await a.thread.collection('photos').create({ title: 'Beach at dawn' })
    expect((await syncThread({ thread: a.thread.id, replica: a.alice.syncReplica(), transport })).complete).toBe(true)
    expect(a.joined.collection('photos').get(photo)).toMatchObject({ title: 'Beach at dawn' })
    expect(a.single.count).toBeGreaterThan(0)
    await Promise.all([a.alice.close(), a.bob.close()])
  })

  it('answers a malformed request in words and drops the sender', async () => {
    const a = await album({ sessions: true })
    const stream = await a.client.dialProtocol(a.server.peerId, SYNC_SESSION_PROTOCOL)
    const lp = lpStream(stream)
    await lp.write(new Uint8Array([0xa1, 0x61, 0x76, 0xff]))
    const answer = decodeResponse((await lp.read()).subarray())
    expect(answer).toMatchObject({ type: 'error', name: 'MalformedMessageError' })
    await expect.poll(() => a.server.getConnections(a.client.peerId).length, { timeout: 30_000 }).toBe(0)
    await Promise.all([a.alice.close(), a.bob.close()])
  })
})
