/**
 * Hostile peers against sync sessions (src/adapters/libp2p/sync-session.ts),
 * over real libp2p nodes on loopback, each with a member serving its album as
 * browsers serve each other: a peer holding every session a connection may
 * open gets no more and ties up nothing an honest peer needs; a session left
 * idle is ended by the server; and a member sending request after request on
 * one session without reading the answers is served one request at a time,
 * the next read only once the answer before it is taken, and its session is
 * ended once an answer goes unread too long, so the server holds at most one
 * answer a session and no backlog; answers a peer (or every peer) leaves
 * unread are held within a byte budget, the rest answered AnswerBudgetError,
 * and an honest sync goes through once they are let go.
 */
import type { Libp2p } from 'libp2p'
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { createAnswerBudget, type AnswerBudget } from '../../src/adapters/libp2p/answer-budget.ts'
import { libp2pSessionTransport, MAX_SESSIONS_PER_CONNECTION, serveSyncSessions, SYNC_SESSION_PROTOCOL, type ServeSessionsOptions } from '../../src/adapters/libp2p/sync-session.ts'
import { syncThread, type SyncTransport } from '../../src/core/sync/engine.ts'
import { createSyncHandler } from '../../src/core/sync/handler.ts'
import { decodeResponse, encodeMessage, SYNC_VERSION, type SyncRequest } from '../../src/core/sync/messages.ts'
import { albumOfTwo, loopbackNodesPerTest } from '../helpers/loopback-nodes.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const WAIT = { timeout: 30_000, interval: 50 }

const node = loopbackNodesPerTest()

/**
 * Alice's album, which Bob's node serves over sessions; the handler notes
 * every request it is given and how many it serves at once.
 */
async function served (options: ServeSessionsOptions = {}) {
  const { alice, thread, bob, joined } = await albumOfTwo()
  const server = await node(true)
  const handler = createSyncHandler(bob.syncReplica())
  const load = { requests: 0, now: 0, most: 0 }
  await serveSyncSessions(server, async (request, from) => {
    load.requests++
    load.most = Math.max(load.most, ++load.now)
    try {
      return await handler(request, from)
    } finally {
      load.now--
    }
  }, options)
  const close = async (): Promise<void> => { await Promise.all([alice.close(), bob.close()]) }
  return { alice, thread, bob, joined, server, load, close }
}

const sessionsAt = (n: Libp2p): Stream[] => n.getConnections().flatMap((c) => c.streams).filter((s) => s.protocol === SYNC_SESSION_PROTOCOL)

/** A heads request of a stranger (no pull proof): answered in words, it proves nothing. */
const strangerHeads = (thread: string): Uint8Array => encodeMessage({ v: SYNC_VERSION, type: 'heads', thread })

/** Sends `bytes` on `stream` and reads the answer. */
async function ask (stream: Stream, bytes: Uint8Array): Promise<ReturnType<typeof decodeResponse>> {
  const lp = lpStream(stream)
  await lp.write(bytes, { signal: AbortSignal.timeout(20_000) })
  return decodeResponse((await lp.read({ signal: AbortSignal.timeout(20_000) })).subarray())
}

/** An honest member (Alice) writes a photo and syncs it to the server over sessions from a node of her own. */
async function honestSync (a: Awaited<ReturnType<typeof served>>, title: string): Promise<void> {
  const client = await node(false)
  await client.dial(a.server.getMultiaddrs()[0]!)
  const photo = await a.thread.collection('photos').create({ title })
  const result = await syncThread({ thread: a.thread.id, replica: a.alice.syncReplica(), transport: libp2pSessionTransport(client, a.server.peerId) })
  expect(result.complete).toBe(true)
  expect(a.joined.collection('photos').get(photo)).toMatchObject({ title })
}

describe('hostile peers against sync sessions', { timeout: LOADED_MACHINE_TIMEOUT_MS * 2 }, () => {
  it(`gives a connection at most ${MAX_SESSIONS_PER_CONNECTION} sessions, refusing the next, while an honest peer syncs`, async () => {
    const a = await served()
    const stranger = await node(false)
    await stranger.dial(a.server.getMultiaddrs()[0]!)
    const held: Stream[] = []
    for (let i = 0; i < MAX_SESSIONS_PER_CONNECTION; i++) held.push(await stranger.dialProtocol(a.server.peerId, SYNC_SESSION_PROTOCOL))
    await expect.poll(() => sessionsAt(a.server).length, WAIT).toBe(MAX_SESSIONS_PER_CONNECTION)

    // One more on the same connection is reset by the server: it is never served.
    const extra = await stranger.dialProtocol(a.server.peerId, SYNC_SESSION_PROTOCOL).catch((error: unknown) => error as Error)
    if (!(extra instanceof Error)) await expect(ask(extra, strangerHeads(a.thread.id))).rejects.toThrow()
    expect(sessionsAt(a.server)).toHaveLength(MAX_SESSIONS_PER_CONNECTION)
    expect(a.load.requests).toBe(0)

    // The sessions held take nothing from an honest peer on its own connection.
    await honestSync(a, 'Beach at dawn')
    // And a stranger's request on a held session is answered in words, revealing nothing.
    expect(await ask(held[0]!, strangerHeads(a.thread.id))).toMatchObject({ type: 'error', name: 'NotAMemberError' })
    await a.close()
  })

  it('ends a session left idle, and one whose last request was never finished', async () => {
    const a = await served({ idleMs: 1000 })
    const stranger = await node(false)
    await stranger.dial(a.server.getMultiaddrs()[0]!)
    const silent = await stranger.dialProtocol(a.server.peerId, SYNC_SESSION_PROTOCOL)
    // Half a message: a length prefix promising 1,000 bytes, and ten of them.
    const halfSent = await stranger.dialProtocol(a.server.peerId, SYNC_SESSION_PROTOCOL)
    halfSent.send(new Uint8Array([0xe8, 0x07, ...new Uint8Array(10)]))
    await expect.poll(() => sessionsAt(a.server).length, WAIT).toBe(0)
    expect(a.load.requests).toBe(0)
    // The server closed its side of both: nothing more will be answered there.
    await expect.poll(() => [silent, halfSent].every((s) => s.readStatus !== 'readable'), WAIT).toBe(true)
    await honestSync(a, 'Dunes at noon')
    await a.close()
  })

  it('serves a session one request at a time and holds no backlog for a member that never reads its answers', async () => {
    const a = await served({ answerTimeoutMs: 2000 })
    // Bob's large photos, so each answer to a pull of them is megabytes.
    for (let i = 0; i < 12; i++) await a.joined.collection('photos').create({ title: `Photo ${i}`, notes: 'x'.repeat(300_000) })
    const mallory = await node(false)
    await mallory.dial(a.server.getMultiaddrs()[0]!)
    // A member's pull request exactly as her sync sends it, with her pull proof naming Mallory's node.
    const asked: SyncRequest[] = []
    const real = libp2pSessionTransport(mallory, a.server.peerId)
    const capturing: SyncTransport = { proofPeer: real.proofPeer, request: async (request, options) => { asked.push(request); return await real.request(request, options) } }
    await syncThread({ thread: a.thread.id, replica: a.alice.syncReplica(), transport: capturing })
    expect(a.thread.collection('photos').find({})).toHaveLength(12)
    const pull = asked.find((r) => r.type === 'pull')
    expect(pull).toBeDefined()
    const servedBefore = a.load.requests

    // Sixty-four copies sent on one session, one after another, and not one answer read.
    const flood = await mallory.dialProtocol(a.server.peerId, SYNC_SESSION_PROTOCOL)
    const lp = lpStream(flood)
    const bytes = encodeMessage(pull!)
    // A write the server no longer takes ends with its session (or after a few seconds): which, does not matter here.
    for (let i = 0; i < 64; i++) await lp.write(bytes, { signal: AbortSignal.timeout(5000) }).catch(() => {})
    // The server gives up on the unread answer and ends the session.
    await expect.poll(() => sessionsAt(a.server).length, WAIT).toBe(0)
    const answered = a.load.requests - servedBefore
    // Served one at a time, and only as far as answers were taken off the wire: a few, not 64.
    expect(a.load.most).toBe(1)
    expect(answered).toBeLessThan(16)
    await honestSync(a, 'Harbour at dusk')
    await a.close()
  })

  /** Bob's large photos, so each answer to a pull of them is megabytes. */
  async function largePhotos (a: Awaited<ReturnType<typeof served>>): Promise<void> {
    for (let i = 0; i < 12; i++) await a.joined.collection('photos').create({ title: `Photo ${i}`, notes: 'x'.repeat(300_000) })
  }
  /** Alice's pull request for Bob's photos exactly as her sync sends it, with her pull proof naming `asker`'s node; she takes nothing. */
  async function pullOf (a: Awaited<ReturnType<typeof served>>, asker: Libp2p): Promise<Uint8Array> {
    let pull: SyncRequest | undefined
    const real = libp2pSessionTransport(asker, a.server.peerId)
    const capturing: SyncTransport = {
      proofPeer: real.proofPeer,
      request: async (request, options) => {
        if (request.type !== 'pull') return await real.request(request, options)
        pull = request
        throw new Error('captured')
      }
    }
    await syncThread({ thread: a.thread.id, replica: a.alice.syncReplica(), transport: capturing }).catch(() => {})
    return encodeMessage(pull!)
  }
  /** A budget that notes the most it held at once, the largest answer it held, and how many it refused. */
  function watchedBudget (limits: Parameters<typeof createAnswerBudget>[0]) {
    const inner = createAnswerBudget(limits)
    const seen = { most: 0, largest: 0, refused: 0 }
    const budget: AnswerBudget = {
      held: inner.held,
      hold (peer, bytes) {
        const release = inner.hold(peer, bytes)
        if (release instanceof Error) seen.refused++
        else seen.largest = Math.max(seen.largest, bytes)
        seen.most = Math.max(seen.most, inner.held().total)
        return release
      }
    }
    return { budget, seen }
  }

  for (const [share, limits, peers] of [['one peer\'s', { perPeerBytes: 1 }, 1], ['all peers\'', { totalBytes: 1 }, 3]] as const) {
    it(`holds ${share} unread answers within the answer budget, answers the rest AnswerBudgetError, and lets them go when the sessions end`, async () => {
      const { budget, seen } = watchedBudget(limits)
      const a = await served({ answerBudget: budget, answerTimeoutMs: 2000, idleMs: 3000 })
      await largePhotos(a)
      const mallories = []
      for (let p = 0; p < peers; p++) {
        const mallory = await node(false)
        await mallory.dial(a.server.getMultiaddrs()[0]!)
        mallories.push({ mallory, pull: await pullOf(a, mallory) })
      }
      for (const { mallory, pull } of mallories) {
        // Several sessions, each sent pull after pull and not one answer read, so answers back up on the server.
        for (let i = 0; i < 4; i++) {
          const lp = lpStream(await mallory.dialProtocol(a.server.peerId, SYNC_SESSION_PROTOCOL))
          for (let j = 0; j < 6; j++) void lp.write(pull, { signal: AbortSignal.timeout(5000) }).catch(() => {})
        }
      }
      await expect.poll(() => seen.refused, WAIT).toBeGreaterThan(0)
      // The unread answers time out, their sessions end, and their bytes go.
      await expect.poll(() => sessionsAt(a.server).length, WAIT).toBe(0)
      expect(budget.held()).toEqual({ total: 0, peers: 0 })
      // Never more than one answer of megabytes held at once, however many sessions backed up.
      expect(seen.largest).toBeGreaterThan(1_000_000)
      expect(seen.most).toBe(seen.largest)
      await honestSync(a, 'Harbour at dawn')
      await a.close()
    })
  }
})
