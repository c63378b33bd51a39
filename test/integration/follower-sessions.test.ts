/**
 * Sync sessions on a real follower process with small limits: members sync
 * over one stream carrying request after request, and the follower's request
 * limits hold for every request in a session as it begins. Idle sessions take
 * no place (more members hold sessions than the follower serves requests at
 * once, and an honest one is still served), a request begun while every
 * place is taken is refused in words (its session then serves the next), and a peer opening more sessions than
 * its share is refused in words on the one past it while its request is still
 * answered on a stream of its own.
 */
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { startSyncPeer, type SyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { LP_OPTIONS } from '../../src/adapters/libp2p/sync-protocol.ts'
import { libp2pSessionTransport, SYNC_SESSION_PROTOCOL } from '../../src/adapters/libp2p/sync-session.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { decodeResponse, encodeMessage, SYNC_PROTOCOL, SYNC_VERSION, type SyncRequest, type SyncResponse } from '../../src/core/sync/messages.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const WAIT = { timeout: 30_000, interval: 50 }

describe('sync sessions on a real follower', { timeout: 180_000 }, () => {
  const cleanup = cleanupAfterAll()
  let follower: FollowerProcess
  // Heads of a real thread the follower does not hold: answered in words, not refused for load, and not malformed (which costs the connection).
  let HEADS: Extract<SyncRequest, { type: 'heads' }>
  // A member's log ID, for requests that name one.
  let LOG: string

  beforeAll(async () => {
    const db = openDatabase({ backend: createMemoryBackend() })
    const elsewhere = await db.createThread({ name: 'Elsewhere' })
    HEADS = { v: SYNC_VERSION, type: 'heads', thread: elsewhere.id }
    LOG = elsewhere.logId
    await db.close()
    follower = await startFollowerProcess(await tempDir('threads-follower-sessions-', cleanup), {
      flags: ['--max-concurrent-requests', '3', '--max-concurrent-requests-per-peer', '2', '--retry-after-seconds', '2']
    })
    cleanup(async () => await follower.stop())
  }, LOADED_MACHINE_TIMEOUT_MS)

  const requests = async (): Promise<number> => ((await (await fetch(`${follower.httpUrl}/health`)).json()) as { requests: number }).requests
  const peer = async (): Promise<SyncPeer> => {
    const started = await startSyncPeer()
    cleanup(async () => await started.stop())
    return started
  }
  /** A session opened by `p`, with one request sent and answered on it; the session stays open. */
  const session = async (p: SyncPeer): Promise<{ stream: Stream, ask: (request: SyncRequest) => Promise<SyncResponse> }> => {
    const stream = await p.node.dialProtocol(multiaddr(follower.multiaddr), SYNC_SESSION_PROTOCOL)
    const lp = lpStream(stream, { ...LP_OPTIONS })
    const ask = async (request: SyncRequest): Promise<SyncResponse> => {
      await lp.write(encodeMessage(request))
      return decodeResponse((await lp.read()).subarray())
    }
    return { stream, ask }
  }

  /** A writer following a new thread on the follower through sessions from `via`, which pushes a photo and gets it acknowledged. */
  const honestSyncs = async (via: SyncPeer): Promise<void> => {
    const writer = openDatabase({ backend: createMemoryBackend() })
    const thread = await writer.createThread({ name: 'Honest' })
    const transport = libp2pSessionTransport(via.node, multiaddr(follower.multiaddr))
    expect((await transport.request(await thread.followRequest())).type).toBe('following')
    await thread.collection('photos').create({ _id: 'p1', title: 'served' })
    expect(await syncThread({ thread: thread.id, replica: writer.syncReplica(), transport })).toMatchObject({ pushed: 1, complete: true })
    await writer.close()
  }

  it('lets more members hold idle sessions than it serves requests at once, and serves each request in them', async () => {
    const held = []
    for (let i = 0; i < 3; i++) {
      const p = await peer()
      for (let j = 0; j < 2; j++) {
        const s = await session(p)
        // Answered (the thread is not held here), not refused for load.
        expect(await s.ask(HEADS)).toMatchObject({ type: 'error', name: expect.not.stringMatching(/TooManyRequestsError|FollowerBusyError/) })
        held.push(s)
      }
    }
    // Six sessions idle on a follower serving three requests at once: none is counted, and an honest member is served.
    expect(await requests()).toBe(0)
    await honestSyncs(await peer())
    // And each idle session still serves its next request.
    for (const s of held) expect(await s.ask(HEADS)).toMatchObject({ type: 'error', name: expect.not.stringMatching(/TooManyRequestsError|FollowerBusyError/) })
    for (const s of held) s.stream.abort(new Error('done'))
  })

  it('refuses a request begun on a session while every place is taken, in words, and serves once places are free, on the same session', async () => {
    const waiting = await peer()
    const s = await session(waiting)
    expect(await s.ask(HEADS)).toMatchObject({ type: 'error' })
    // Two peers hold all three places with requests begun and never finished.
    const holders: Stream[] = []
    for (const [p, n] of [[await peer(), 2], [await peer(), 1]] as const) {
      for (let i = 0; i < n; i++) {
        const stream = await p.node.dialProtocol(multiaddr(follower.multiaddr), SYNC_PROTOCOL)
        stream.send(Uint8Array.from([100, 1, 2, 3]))
        holders.push(stream)
      }
    }
    await vi.waitFor(async () => { expect(await requests()).toBe(3) }, WAIT)
    expect(await s.ask(HEADS)).toMatchObject({ type: 'error', name: 'FollowerBusyError', message: expect.stringContaining('try again in 2 s') })
    // A large request refused the same way is dropped unread, and the session stays in step for the next.
    expect(await s.ask({ v: SYNC_VERSION, type: 'pull', thread: HEADS.thread, from: Array.from({ length: 1024 }, () => ({ log: LOG, after: 0 })), limit: 1 })).toMatchObject({ type: 'error', name: 'FollowerBusyError' })
    for (const stream of holders) stream.abort(new Error('done holding'))
    await vi.waitFor(async () => { expect(await requests()).toBe(0) }, WAIT)
    // The session refused twice serves its next request.
    expect(await s.ask(HEADS)).toMatchObject({ type: 'error', name: expect.not.stringMatching(/TooManyRequestsError|FollowerBusyError/) })
    await honestSyncs(waiting)
  })

  it('refuses a session past a peer\'s share in words; its request is answered on a stream of its own', async () => {
    const greedy = await peer()
    const kept = [await session(greedy), await session(greedy)]
    for (const s of kept) expect(await s.ask(HEADS)).toMatchObject({ type: 'error', name: expect.not.stringMatching(/TooManySessionsError/) })
    const third = await session(greedy)
    expect(await third.ask(HEADS)).toMatchObject({ type: 'error', name: 'TooManySessionsError' })
    // The session transport takes the refusal as a cue to ask on a one-request stream.
    expect(await libp2pSessionTransport(greedy.node, multiaddr(follower.multiaddr)).request(HEADS)).toMatchObject({ type: 'error', name: expect.not.stringMatching(/TooManySessionsError|TooManyRequestsError/) })
    for (const s of kept) s.stream.abort(new Error('done'))
  })
})
