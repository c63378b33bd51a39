/**
 * The follower's HTTP side against a real follower process with small limits,
 * as a stranger meets them: a page from another origin, a body that is not
 * dag-cbor or too large, more requests at once than one address (or anyone)
 * may have, more body bytes than the follower holds, bodies sent a byte at a
 * time from several addresses (they take no place to be served until they have
 * arrived). Each is refused at once
 * with its status, a JSON `{ name, message }` and, where waiting helps,
 * `Retry-After`; the socket is never dropped; and an honest client syncs
 * afterwards.
 */
import { request as httpRequest, type ClientRequest } from 'node:http'
import { connect, type Socket } from 'node:net'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { startSyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { MAX_MESSAGE_BYTES, SYNC_PROTOCOL } from '../../src/core/sync/messages.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { honestHttpSync } from '../helpers/honest-http-sync.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'
import { MAX_DROPPED_BYTES } from '../../follower/http.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const DAG_CBOR = 'application/vnd.ipld.dag-cbor'
const APP = 'http://127.0.0.1:4173'
const WAIT = { timeout: 30_000, interval: 50 }

describe('HTTP limits of a real follower', { timeout: 120_000 }, () => {
  const cleanup = cleanupAfterAll()
  let follower: FollowerProcess
  const held: ClientRequest[] = []

  beforeAll(async () => {
    follower = await startFollowerProcess(await tempDir('threads-http-limits-', cleanup), {
      flags: ['--max-concurrent-requests', '3', '--max-concurrent-requests-per-peer', '2', '--max-buffered-bytes', String(1024 * 1024), '--retry-after-seconds', '2']
    })
    cleanup(async () => await follower.stop())
  }, LOADED_MACHINE_TIMEOUT_MS)
  afterAll(() => { for (const r of held) r.destroy() })

  const load = async (): Promise<{ requests: number, receiving: number, bufferedBytes: number }> => await (await fetch(`${follower.httpUrl}/health`)).json() as { requests: number, receiving: number, bufferedBytes: number }

  /** A sync POST declaring `length` bytes, of which only a few are sent (from `from`): the follower holds it open, waiting for the rest. */
  const hold = (length: number, from = '127.0.0.1'): ClientRequest => {
    const request = httpRequest(`${follower.httpUrl}/v1/sync`, { method: 'POST', agent: false, localAddress: from, headers: { 'content-type': DAG_CBOR, 'content-length': String(length) } })
    request.on('error', () => {}) // destroyed at the end of the test
    request.write(new Uint8Array(8))
    held.push(request)
    return request
  }

  const honestSyncs = async (): Promise<void> => { await honestHttpSync(follower.httpUrl) }

  it('answers only the app\'s origin, refuses other pages with 403 in words, and still serves clients without an origin', async () => {
    const fromApp = await fetch(`${follower.httpUrl}/health`, { headers: { origin: APP } })
    expect(fromApp.status).toBe(200)
    expect(fromApp.headers.get('access-control-allow-origin')).toBe(APP)
    for (const method of ['GET', 'OPTIONS']) {
      const stranger = await fetch(`${follower.httpUrl}/health`, { method, headers: { origin: 'https://elsewhere.example' } })
      expect(stranger.status).toBe(403)
      expect(stranger.headers.get('access-control-allow-origin')).toBeNull()
      expect(await stranger.json()).toMatchObject({ name: 'OriginNotAllowedError', message: expect.stringContaining(APP) })
    }
    expect((await fetch(`${follower.httpUrl}/health`)).status).toBe(200)
    await honestSyncs()
  })

  it('refuses a body that is not dag-cbor (415), one too large (413), one of no declared length (411), and an unknown path (404), each in words', async () => {
    const json = await fetch(`${follower.httpUrl}/v1/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"v":2}' })
    expect(json.status).toBe(415)
    expect(await json.json()).toMatchObject({ name: 'UnsupportedContentTypeError', message: expect.stringContaining(DAG_CBOR) })
    // The whole oversized body is sent and dropped, and the answer is read: no reset socket.
    const big = await fetch(`${follower.httpUrl}/v1/sync`, { method: 'POST', headers: { 'content-type': DAG_CBOR }, body: new Uint8Array(MAX_MESSAGE_BYTES + 1) })
    expect(big.status).toBe(413)
    expect(await big.json()).toMatchObject({ name: 'TooLargeError' })
    // A body of no declared length (chunked) is refused before it is read.
    const chunked = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      const request = httpRequest(`${follower.httpUrl}/v1/sync`, { method: 'POST', agent: false, headers: { 'content-type': DAG_CBOR, 'transfer-encoding': 'chunked' } }, (response) => {
        let body = ''
        response.on('data', (chunk: Buffer) => { body += chunk.toString() })
        response.on('end', () => { resolve({ status: response.statusCode ?? 0, body }) })
      })
      request.on('error', reject)
      request.end(new Uint8Array(100))
    })
    expect(chunked.status).toBe(411)
    expect(JSON.parse(chunked.body)).toMatchObject({ name: 'LengthRequiredError' })
    const nowhere = await fetch(`${follower.httpUrl}/v2/anything`)
    expect(nowhere.status).toBe(404)
    expect(await nowhere.json()).toMatchObject({ name: 'EndpointNotFoundError' })
    expect(await load()).toEqual(expect.objectContaining({ requests: 0, bufferedBytes: 0 }))
    await honestSyncs()
  })

  it('refuses bodies past one address\'s share (429) at once, with Retry-After, while they are received', async () => {
    hold(100)
    hold(100)
    await vi.waitFor(async () => { expect((await load()).receiving).toBe(2) }, WAIT)
    const third = await fetch(`${follower.httpUrl}/v1/sync`, { method: 'POST', headers: { 'content-type': DAG_CBOR }, body: new Uint8Array(10) })
    expect(third.status).toBe(429)
    expect(third.headers.get('retry-after')).toBe('2')
    expect(await third.json()).toMatchObject({ name: 'TooManyRequestsError' })
    for (const r of held.splice(0)) r.destroy()
    await vi.waitFor(async () => { expect(await load()).toMatchObject({ requests: 0, receiving: 0 }) }, WAIT)
    await honestSyncs()
  })

  it('serves honest clients while strangers on several addresses send bodies a byte at a time: a body takes a place only once it has arrived', async () => {
    for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) { hold(100, from); hold(100, from) }
    await vi.waitFor(async () => { expect((await load()).receiving).toBe(6) }, WAIT)
    // Every place the gate serves in (3) is free: an honest client follows, pushes and reads back.
    expect((await load()).requests).toBe(0)
    await honestSyncs()
    for (const r of held.splice(0)) r.destroy()
    await vi.waitFor(async () => { expect(await load()).toMatchObject({ requests: 0, receiving: 0 }) }, WAIT)
  })

  it('refuses requests past everyone\'s places (503) at once, with Retry-After, over HTTP and libp2p', async () => {
    // Two libp2p peers take the three places (two the first may have, one the second).
    const first = await startSyncPeer()
    const second = await startSyncPeer()
    cleanup(async () => { await first.stop(); await second.stop() })
    const streams = []
    for (const peer of [first, first, second]) {
      const stream = await peer.node.dialProtocol(multiaddr(follower.multiaddr), SYNC_PROTOCOL)
      stream.send(Uint8Array.from([100, 1, 2, 3]))
      streams.push(stream)
    }
    await vi.waitFor(async () => { expect((await load()).requests).toBe(3) }, WAIT)
    const refused = await second.transportTo(follower.multiaddr).request({ v: 2, type: 'heads', thread: 'bafkqaaa' })
    expect(refused).toMatchObject({ type: 'error', name: 'FollowerBusyError', message: expect.stringContaining('try again in 2 s') })
    const busy = await fetch(`${follower.httpUrl}/v1/sync`, { method: 'POST', headers: { 'content-type': DAG_CBOR }, body: new Uint8Array(10) })
    expect(busy.status).toBe(503)
    expect(busy.headers.get('retry-after')).toBe('2')
    expect(await busy.json()).toMatchObject({ name: 'FollowerBusyError' })
    // Through the HTTP client a refusal is a sync error of the same name.
    expect(await httpSyncTransport(follower.httpUrl).request({ v: 2, type: 'heads', thread: 'bafkqaaa' })).toMatchObject({ type: 'error', name: 'FollowerBusyError' })

    // The holders go away; their places come back and the honest client is served.
    for (const stream of streams) stream.abort(new Error('done holding'))
    await vi.waitFor(async () => { expect((await load()).requests).toBe(0) }, WAIT)
    await honestSyncs()
  })

  it('refuses a libp2p peer past its share of requests in words, while another peer is served', async () => {
    const greedy = await startSyncPeer()
    const other = await startSyncPeer()
    cleanup(async () => { await greedy.stop(); await other.stop() })
    const streams = []
    for (let i = 0; i < 2; i++) {
      const stream = await greedy.node.dialProtocol(multiaddr(follower.multiaddr), SYNC_PROTOCOL)
      stream.send(Uint8Array.from([100, 1, 2, 3]))
      streams.push(stream)
    }
    await vi.waitFor(async () => { expect((await load()).requests).toBe(2) }, WAIT)
    expect(await greedy.transportTo(follower.multiaddr).request({ v: 2, type: 'heads', thread: 'bafkqaaa' })).toMatchObject({ type: 'error', name: 'TooManyRequestsError' })
    // Served, not refused for load: it names a thread the follower does not hold.
    expect(await other.transportTo(follower.multiaddr).request({ v: 2, type: 'heads', thread: 'bafkqaaa' })).toMatchObject({ type: 'error', name: expect.not.stringMatching(/TooManyRequestsError|FollowerBusyError/) })
    for (const stream of streams) stream.abort(new Error('done holding'))
    await vi.waitFor(async () => { expect((await load()).requests).toBe(0) }, WAIT)
    await honestSyncs()
  })

  /** A connection speaking HTTP/1.1 by hand, to send a request's head and body apart; `answers` is all it has read. */
  const rawConnection = async (): Promise<{ socket: Socket, answers: () => string, closed: () => boolean }> => {
    const { hostname, port } = new URL(follower.httpUrl)
    const socket = connect(Number(port), hostname)
    let answers = ''
    let closed = false
    socket.on('data', (chunk: Buffer) => { answers += chunk.toString('latin1') })
    socket.on('error', () => {}) // a write after the follower closed the connection
    socket.on('close', () => { closed = true })
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve).once('error', reject) })
    return { socket, answers: () => answers, closed: () => closed }
  }
  /** A whole refusal: its JSON body sent in chunks, the last one empty. */
  const ANSWERED = /\r\n\r\n[^]*\{[^]*\}\r\n0\r\n\r\n$/
  const refusalIn = (answer: string): unknown => JSON.parse(answer.slice(answer.indexOf('{'), answer.lastIndexOf('}') + 1))
  const syncHead = (length: number): string => `POST /v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${DAG_CBOR}\r\nContent-Length: ${length}\r\n\r\n`

  it('refuses a push from its headers alone, before any of its body is sent, and serves the next request on the same connection once the body is sent', async () => {
    hold(100)
    hold(100)
    await vi.waitFor(async () => { expect((await load()).receiving).toBe(2) }, WAIT)
    const client = await rawConnection()
    cleanup(async () => { client.socket.destroy() })
    client.socket.write(syncHead(64 * 1024))
    // The answer comes with none of the body sent.
    await vi.waitFor(() => { expect(client.answers()).toMatch(ANSWERED) }, WAIT)
    expect(client.answers()).toMatch(/^HTTP\/1\.1 429 /)
    expect(client.answers()).toMatch(/\r\nretry-after: 2\r\n/i)
    expect(client.answers()).not.toMatch(/connection: close/i)
    expect(refusalIn(client.answers())).toMatchObject({ name: 'TooManyRequestsError' })
    // The body the client was sending is read and dropped; the connection then serves its next request.
    client.socket.write(new Uint8Array(64 * 1024))
    client.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    await vi.waitFor(() => { expect(client.answers()).toMatch(/HTTP\/1\.1 200 [^]*"ok":true/) }, WAIT)
    expect(client.closed()).toBe(false)
    expect(await load()).toMatchObject({ receiving: 2, bufferedBytes: 200 })
    for (const r of held.splice(0)) r.destroy()
    await vi.waitFor(async () => { expect((await load()).receiving).toBe(0) }, WAIT)
    await honestSyncs()
  })

  it('answers a body declared far too large at once (413), drops what follows, and closes the connection once the sender goes past what it drops', async () => {
    const client = await rawConnection()
    cleanup(async () => { client.socket.destroy() })
    client.socket.write(syncHead(1024 * 1024 * 1024))
    await vi.waitFor(() => { expect(client.answers()).toMatch(ANSWERED) }, WAIT)
    expect(client.answers()).toMatch(/^HTTP\/1\.1 413 /)
    expect(refusalIn(client.answers())).toMatchObject({ name: 'TooLargeError' })
    const chunk = new Uint8Array(1024 * 1024)
    let sent = 0
    while (!client.closed() && sent < 4 * MAX_DROPPED_BYTES) {
      sent += chunk.byteLength
      if (!client.socket.write(chunk)) await new Promise((resolve) => { client.socket.once('drain', resolve).once('close', resolve) })
    }
    await vi.waitFor(() => { expect(client.closed()).toBe(true) }, WAIT)
    expect(sent).toBeGreaterThan(MAX_DROPPED_BYTES)
    expect(await load()).toMatchObject({ requests: 0, bufferedBytes: 0 })
    await honestSyncs()
  })

  it('refuses a body that would pass the bytes it holds at once (503), and serves it once they are free', async () => {
    hold(900 * 1024)
    await vi.waitFor(async () => { expect((await load()).bufferedBytes).toBe(900 * 1024) }, WAIT)
    const over = await fetch(`${follower.httpUrl}/v1/sync`, { method: 'POST', headers: { 'content-type': DAG_CBOR }, body: new Uint8Array(200 * 1024) })
    expect(over.status).toBe(503)
    expect(await over.json()).toMatchObject({ name: 'FollowerBusyError', message: expect.stringContaining('request bytes') })
    for (const r of held.splice(0)) r.destroy()
    await vi.waitFor(async () => { expect(await load()).toMatchObject({ requests: 0, bufferedBytes: 0 }) }, WAIT)
    const served = await fetch(`${follower.httpUrl}/v1/sync`, { method: 'POST', headers: { 'content-type': DAG_CBOR }, body: new Uint8Array(200 * 1024) })
    expect(served.status).toBe(400) // read and answered: not a sync message
    await honestSyncs()
  })
})
