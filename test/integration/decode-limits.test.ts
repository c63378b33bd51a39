/**
 * Crafted CBOR against a real follower process, over HTTP and libp2p: a sync
 * message of millions of tiny items, or nested thousands deep, is refused
 * with a TooComplexError part way through decoding, the follower stays up and
 * healthy, and a member syncing meanwhile is served.
 */
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { startSyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { decodeResponse, MAX_MESSAGE_BYTES, SYNC_PROTOCOL } from '../../src/core/sync/messages.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { craftedPush, listHead, nestedLists } from '../helpers/crafted-cbor.ts'
import { startFollowerProcess } from '../helpers/follower-process.ts'

describe('decoding limits of a real follower', { timeout: 120_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('refuses wide and deep CBOR by name over HTTP and libp2p, stays up, and serves a member meanwhile', async () => {
    const follower = await startFollowerProcess(await tempDir('threads-decode-limits-', cleanup))
    cleanup(async () => await follower.stop())
    const writer = openDatabase({ backend: createMemoryBackend() })
    const thread = await writer.createThread({ name: 'Honest' })
    const http = httpSyncTransport(follower.httpUrl)
    expect((await http.request(await thread.followRequest())).type).toBe('following')

    // Eight MiB of lists of 255 zeros (eight million items, each list declaring its length honestly), and a list nested 100,000 deep.
    const wide = craftedPush(thread.id, Uint8Array.from([...listHead(255), ...new Array<number>(255).fill(0)]))
    const deep = craftedPush(thread.id, nestedLists(100_000), 1)
    expect(wide.length).toBeGreaterThan(MAX_MESSAGE_BYTES - 64)

    const peer = await startSyncPeer()
    cleanup(async () => await peer.stop())
    const overLibp2p = async (bytes: Uint8Array): Promise<unknown> => {
      const lp = lpStream(await peer.node.dialProtocol(multiaddr(follower.multiaddr), SYNC_PROTOCOL), { maxDataLength: MAX_MESSAGE_BYTES })
      await lp.write(bytes)
      return decodeResponse((await lp.read()).subarray())
    }
    const overHttp = async (bytes: Uint8Array<ArrayBuffer>): Promise<{ status: number, answer: unknown }> => {
      const response = await fetch(`${follower.httpUrl}/v1/sync`, { method: 'POST', headers: { 'content-type': 'application/vnd.ipld.dag-cbor' }, body: bytes })
      return { status: response.status, answer: decodeResponse(new Uint8Array(await response.arrayBuffer())) }
    }

    // A member pushes while the crafted messages arrive.
    await thread.collection('photos').create({ _id: 'p1', title: 'served meanwhile' })
    const [honest, ...refusals] = await Promise.all([
      syncThread({ thread: thread.id, replica: writer.syncReplica(), transport: http }),
      overHttp(wide),
      overHttp(deep),
      overLibp2p(wide),
      overLibp2p(deep)
    ])
    expect(honest).toMatchObject({ pushed: 1, refused: [] })
    const tooComplex = (detail: RegExp): unknown => expect.objectContaining({ type: 'error', name: 'TooComplexError', message: expect.stringMatching(detail) })
    expect(refusals).toEqual([
      { status: 400, answer: tooComplex(/^sync message holds more than 65536 items$/) },
      { status: 400, answer: tooComplex(/^sync message nests deeper than 16 levels$/) },
      tooComplex(/^sync message holds more than 65536 items$/),
      tooComplex(/^sync message nests deeper than 16 levels$/)
    ])

    expect(follower.child.exitCode).toBeNull()
    expect(await (await fetch(`${follower.httpUrl}/health`)).json()).toMatchObject({ ok: true })
    await thread.collection('photos').create({ _id: 'p2', title: 'served after' })
    expect(await syncThread({ thread: thread.id, replica: writer.syncReplica(), transport: peer.transportTo(follower.multiaddr) })).toMatchObject({ pushed: 1, refused: [] })
  })
})
