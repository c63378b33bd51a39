/**
 * The follower's HTTP side: GET /health, and POST /v1/sync taking one sync
 * request as dag-cbor and answering one response (paper §3.2.3: records can be
 * pushed and pulled over plain HTTP, e.g. by a service worker with no tab open);
 * media blocks: PUT and GET /v1/blocks/<cid>, and POST /v1/held-blocks, which
 * of up to 1,024 CIDs it holds (no more than GET tells of each).
 *
 * Refusals come before any work and in words: a JSON `{ name, message }` body
 * with its status. A page from an origin outside the CORS allow-list gets 403
 * `OriginNotAllowedError`; a body that is not dag-cbor 415
 * `UnsupportedContentTypeError`; one of no declared length 411
 * `LengthRequiredError`; one over MAX_MESSAGE_BYTES 413 `TooLargeError`; past
 * the request gate's limits 503 `FollowerBusyError` or 429
 * `TooManyRequestsError`, with `Retry-After`. Each refusal is decided from
 * the request line and headers alone and sent at once, before any of the
 * body is read. The body is then read and dropped, never kept or decoded, so
 * the client (still sending) reads the answer rather than a dropped socket and
 * its connection stays open for the next request; a body that goes on past
 * MAX_DROPPED_BYTES has its connection closed. A block path whose CID no media block can have is
 * 400 `BadCidError`. A request that is served is answered with a sync
 * message, an error response in words (400) when it cannot be served. HTTP
 * connections are capped in all and per address (503 `FollowerBusyError`, 429
 * `TooManyRequestsError`, then closed); a connection pipelining requests whose
 * answers it does not read is closed; a request must arrive whole within 30 s. Nothing
 * a client sends can throw out of the server, so no request can end the
 * follower.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Libp2p } from 'libp2p'
import { BadCidError, BlockNotFoundError, ThreadsError, TooLargeError } from '../src/core/errors.ts'
import { createLogger } from '../src/core/logger.ts'
import type { HandledRequest } from '../src/core/sync/handler.ts'
import { MAX_MESSAGE_BYTES, type SyncRequest } from '../src/core/sync/messages.ts'
import { answerRequest } from '../src/core/sync/serve.ts'
import { REQUEST_TIMEOUT_MS } from '../src/adapters/libp2p/sync-protocol.ts'
import { EndpointNotFoundError, FollowerBusyError, LengthRequiredError, OriginNotAllowedError, TooManyRequestsError, UnsupportedContentTypeError } from './limit-errors.ts'
import type { RequestGate } from './request-gate.ts'
import { CHUNK_OVERHEAD, MEDIA_LIMITS, parseMediaCid } from '../src/core/media/format.ts'
import { UnreferencedBlockError } from './media-errors.ts'
import type { CID } from 'multiformats/cid'
import { encodeHeldAnswer, HELD_QUERY_LIMITS, HELD_QUERY_PATH, parseHeldQuery } from '../src/adapters/http/held-query.ts'

const log = createLogger('follower:http')

/**
 * How long an idle keep-alive connection stays open. Clients close theirs a
 * little before the time this announces; a client whose event loop is busy
 * longer than that (a member verifying a batch of photos) may send its next
 * request on a connection the server has just closed, so the time is long.
 */
const KEEP_ALIVE_MS = 60_000

const SYNC_CONTENT_TYPE = 'application/vnd.ipld.dag-cbor'

/** Options of {@link startHttp}. */
export interface HttpOptions {
  readonly host: string
  readonly port: number
  readonly node: Libp2p
  /** Answers a sync request from the client at `ip`. */
  readonly handler: (request: SyncRequest, ip: string) => Promise<HandledRequest>
  readonly gate: RequestGate
  /** Origins whose pages may call the follower (`*` for any). */
  readonly corsOrigins: readonly string[]
  readonly retryAfterSeconds: number
  /** Takes a media block pushed with PUT /v1/blocks/<cid> (the media keeper); absent: no such endpoint. */
  readonly acceptBlock?: (cid: string, bytes: Uint8Array) => Promise<void>
  /**
   * A media block this follower holds, for GET /v1/blocks/<cid> (the blocks it serves over bitswap to
   * anyone: encrypted, content-addressed, checked by the fetcher); undefined when not held (404
   * BlockNotFoundError); absent: no such endpoint.
   */
  readonly getBlock?: (cid: string) => Promise<Uint8Array | undefined>
  /**
   * Whether this follower holds a media block: what GET /v1/blocks/<cid> would find, for POST /v1/held-blocks
   * (held-query.ts), which a device asks before letting its own copy of a file go; absent: no such endpoint.
   */
  readonly hasBlock?: (cid: CID) => Promise<boolean>
  /** More to report on /health. */
  readonly report?: () => Record<string, unknown>
  /** HTTP connections open at once; a connection past it is answered 503 `FollowerBusyError` and closed. */
  readonly maxConnections: number
  /** HTTP connections open at once from one IP address; a connection past it is answered 429 `TooManyRequestsError` and closed. */
  readonly maxConnectionsPerIp: number
}

/**
 * The most requests a connection may have unanswered (sent, their answers not yet out): browsers and the
 * app's transports send a request once they have read the answer before it, so an honest client has one. A
 * client pipelining requests and reading none of the answers (each /health answer is small, and cheap to
 * ask for) had every request of each chunk read parsed and its answer queued: up to about 20 MB a
 * connection, and 2.6 GB held by 250 of them from one address.
 */
export const MAX_UNANSWERED_REQUESTS = 16

/** The largest media block a push may carry: a sealed chunk or a manifest. */
const MAX_BLOCK_PUSH_BYTES = Math.max(MEDIA_LIMITS.maxChunkBytes + CHUNK_OVERHEAD, MEDIA_LIMITS.maxManifestBytes)
const BLOCK_CONTENT_TYPE = 'application/vnd.ipld.raw'
const BLOCK_PATH = /^\/v1\/blocks\/([a-z0-9]{1,200})$/

/** The status each refusal is sent with. */
function statusOf (error: ThreadsError): number {
  if (error instanceof FollowerBusyError) return 503
  if (error instanceof TooManyRequestsError) return 429
  if (error instanceof TooLargeError) return 413
  if (error instanceof UnsupportedContentTypeError) return 415
  if (error instanceof LengthRequiredError) return 411
  if (error instanceof OriginNotAllowedError) return 403
  if (error instanceof EndpointNotFoundError) return 404
  if (error instanceof UnreferencedBlockError) return 403
  if (error instanceof BlockNotFoundError) return 404
  return 400
}

/** The refusal of a block path's CID that no media block can have (400 BadCidError), checked before any work. */
function badCid (text: string): BadCidError | undefined {
  try {
    parseMediaCid(text)
    return undefined
  } catch (error) {
    if (error instanceof BadCidError) return error
    throw error
  }
}

/**
 * The most bytes of a refused body read and dropped: twice the largest body any endpoint takes, so a client
 * that sent one too large (and is still sending) reads its answer on a connection that stays usable. Reading
 * costs less than closing for a body of the sizes sync messages have: refusing 16 KB bodies over loopback cost
 * the server about 130 µs each when read and dropped on a kept-alive connection, 250–280 µs when it closed the
 * connection instead (a new one for the next request), and closing before a client has sent its body makes
 * it fail on its write (EPIPE) without reading the answer. Past this, the sender is not an honest client: the
 * connection is closed.
 */
export const MAX_DROPPED_BYTES = 2 * MAX_MESSAGE_BYTES

/** Reads and drops the rest of a refused body; a body that goes on past MAX_DROPPED_BYTES has its connection closed. */
function dropBody (request: IncomingMessage): void {
  if (request.complete) return
  let dropped = 0
  request.on('data', (chunk: Buffer) => {
    dropped += chunk.byteLength
    if (dropped > MAX_DROPPED_BYTES) request.socket.destroy()
  })
  request.resume()
}

/** A socket's remote IP address, one spelling for IPv4 whether it came over IPv4 or IPv6. */
const socketIp = (socket: Socket): string => (socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, '')
/** The client's IP address. */
const ipOf = (request: IncomingMessage): string => socketIp(request.socket)

/** Requests of each connection whose answers are not yet out (MAX_UNANSWERED_REQUESTS). */
const unanswered = new WeakMap<Socket, number>()

/** Connections answered by turnAway: what they send is not served. */
const turnedAway = new WeakSet<Socket>()

/**
 * Answers a connection past a limit in words, as the answer to whatever request it sends, and closes it:
 * the client reads why rather than meeting a reset connection.
 */
function turnAway (socket: Socket, status: number, error: ThreadsError, retryAfterSeconds: number): void {
  turnedAway.add(socket)
  const body = JSON.stringify({ name: error.name, message: error.message })
  socket.on('error', () => {}) // the client may be gone already
  socket.end(`HTTP/1.1 ${status} ${status === 429 ? 'Too Many Requests' : 'Service Unavailable'}\r\ncontent-type: application/json\r\nretry-after: ${retryAfterSeconds}\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  // Whatever it sends meanwhile is not read; the socket goes once the answer is out, or soon regardless.
  socket.setTimeout(5000, () => socket.destroy())
}

/** Starts the HTTP server; resolves once it listens. */
export async function startHttp (options: HttpOptions): Promise<{ url: string, close: () => Promise<void> }> {
  const anyOrigin = options.corsOrigins.includes('*')
  const allowed = new Set(options.corsOrigins)

  /** CORS headers for the request's origin, or the refusal when a page from another origin asks. */
  const cors = (request: IncomingMessage): Record<string, string> | OriginNotAllowedError => {
    const origin = request.headers.origin
    if (origin === undefined) return {}
    if (!anyOrigin && !allowed.has(origin)) return new OriginNotAllowedError(`pages from ${origin.slice(0, 200)} may not call this follower; it serves ${[...allowed].join(', ')}`)
    return { 'access-control-allow-origin': origin, 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'GET, POST, PUT', vary: 'origin' }
  }

  /** Sends a refusal in words; the rest of the body is read and dropped (at most MAX_DROPPED_BYTES of it). */
  const refuse = (request: IncomingMessage, response: ServerResponse, error: ThreadsError, headers: Record<string, string> = {}): void => {
    dropBody(request)
    if (response.headersSent) return
    const status = statusOf(error)
    const retry = status === 503 || status === 429 ? { 'retry-after': String(options.retryAfterSeconds) } : {}
    response.writeHead(status, { ...headers, ...retry, 'content-type': 'application/json' })
    response.end(JSON.stringify({ name: error.name, message: error.message }))
  }

  const send = (response: ServerResponse, bytes: Uint8Array, status: number, headers: Record<string, string>): void => {
    if (response.headersSent) return
    response.writeHead(status, { ...headers, 'content-type': SYNC_CONTENT_TYPE })
    response.end(bytes)
  }

  /**
   * Takes a request body within the limits every body meets, checked in this
   * order before any work: its content type, a declared length, that length
   * within `maxBytes`, and a receipt from the gate (bodies this address and
   * everyone are sending, their bytes); once the body has arrived whole, a place
   * at the gate; then hands it to `use`, and gives both back once `use` ended.
   * Refusals are named in `spec`'s words (what the body is, how large it may be).
   */
  const withBody = async (
    request: IncomingMessage,
    response: ServerResponse,
    headers: Record<string, string>,
    spec: { readonly type: string, readonly what: string, readonly maxBytes: number, readonly tooLarge: (length: number) => string },
    use: (body: Uint8Array, ip: string) => Promise<void>
  ): Promise<void> => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (type !== spec.type) { refuse(request, response, new UnsupportedContentTypeError(`${spec.what} is ${spec.type}, not "${type.slice(0, 100)}"`), headers); return }
    const declared = request.headers['content-length']
    if (declared === undefined) { refuse(request, response, new LengthRequiredError(`${spec.what} declares its length (Content-Length)`), headers); return }
    const length = Number(declared)
    if (length > spec.maxBytes) { refuse(request, response, new TooLargeError(spec.tooLarge(length)), headers); return }
    const ip = ipOf(request)
    // Received before it takes a place to be served: a body sent a byte at a time holds only its receipt.
    const receipt = options.gate.receive(ip, length)
    if (receipt instanceof ThreadsError) { refuse(request, response, receipt, headers); return }
    try {
      const body = await readBody(request)
      const pass = options.gate.enter(ip)
      if (pass instanceof ThreadsError) { refuse(request, response, pass, headers); return }
      try {
        await use(body, ip)
      } finally {
        pass.release()
      }
    } finally {
      receipt.release()
    }
  }

  /** Answers one POST /v1/sync within the gate's limits; never rejects. */
  const serveSyncPost = async (request: IncomingMessage, response: ServerResponse, headers: Record<string, string>): Promise<void> => {
    const spec = { type: SYNC_CONTENT_TYPE, what: 'a sync request', maxBytes: MAX_MESSAGE_BYTES, tooLarge: (length: number) => `the request body is ${length} bytes; a sync message may take ${MAX_MESSAGE_BYTES}` }
    await withBody(request, response, headers, spec, async (body, ip) => {
      const answer = await answerRequest(async (sync) => await options.handler(sync, ip), body)
      send(response, answer.bytes, answer.response.type === 'error' ? 400 : 200, headers)
    })
  }

  /** PUT /v1/blocks/<cid>: one media block, checked and kept only if a record this follower holds references it. */
  const serveBlockPut = async (request: IncomingMessage, response: ServerResponse, cid: string, headers: Record<string, string>): Promise<void> => {
    const bad = badCid(cid)
    if (bad !== undefined) { refuse(request, response, bad, headers); return }
    const spec = { type: BLOCK_CONTENT_TYPE, what: 'a block push', maxBytes: MAX_BLOCK_PUSH_BYTES, tooLarge: (length: number) => `the block is ${length} bytes; a media block may take ${MAX_BLOCK_PUSH_BYTES}` }
    await withBody(request, response, headers, spec, async (body) => {
      try {
        await options.acceptBlock!(cid, body)
      } catch (error) {
        if (!(error instanceof ThreadsError)) throw error
        refuse(request, response, error, headers)
        return
      }
      response.writeHead(204, headers).end()
    })
  }

  /** Waits on a handler that answers by itself; should it fail anyway, the client still hears why (a named refusal keeps its name). */
  const answering = (request: IncomingMessage, response: ServerResponse, served: Promise<void>, doing: string, failed: string): void => {
    served.catch((error: unknown) => {
      log.failure(doing, error)
      refuse(request, response, error instanceof ThreadsError ? error : new ThreadsError(`${failed}: ${(error as Error).message}`, { cause: error }))
    })
  }

  /** GET (or HEAD) /v1/blocks/<cid>: one media block this follower holds, as bitswap would give it. */
  const serveBlockGet = async (request: IncomingMessage, response: ServerResponse, cid: string, headers: Record<string, string>): Promise<void> => {
    dropBody(request)
    const bad = badCid(cid)
    if (bad !== undefined) { refuse(request, response, bad, headers); return }
    const pass = options.gate.enter(ipOf(request))
    if (pass instanceof ThreadsError) { refuse(request, response, pass, headers); return }
    try {
      const bytes = await options.getBlock!(cid)
      if (bytes === undefined) { refuse(request, response, new BlockNotFoundError(`this follower holds no block ${cid}`, cid), headers); return }
      response.writeHead(200, { ...headers, 'content-type': BLOCK_CONTENT_TYPE, 'content-length': String(bytes.length), 'cache-control': 'public, max-age=31536000, immutable' }).end(bytes)
    } finally {
      pass.release()
    }
  }

  /**
   * POST /v1/held-blocks: which of up to 1,024 CIDs this follower holds, one boolean each: what GET would tell of each
   * by its status, without sizes or bytes, for one lookup per CID within the same gate as every request.
   */
  const serveHeldBlocks = async (request: IncomingMessage, response: ServerResponse, headers: Record<string, string>): Promise<void> => {
    const spec = { type: 'application/json', what: 'a held-blocks query', maxBytes: HELD_QUERY_LIMITS.maxQueryBytes, tooLarge: (length: number) => `the query is ${length} bytes; one may take ${HELD_QUERY_LIMITS.maxQueryBytes} (${HELD_QUERY_LIMITS.maxCids} CIDs)` }
    await withBody(request, response, headers, spec, async (body) => {
      let cids: CID[]
      try {
        cids = parseHeldQuery(body)
      } catch (error) {
        if (!(error instanceof ThreadsError)) throw error
        refuse(request, response, error, headers)
        return
      }
      const held: boolean[] = []
      for (const cid of cids) held.push(await options.hasBlock!(cid))
      response.writeHead(200, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' }).end(encodeHeldAnswer(held))
    })
  }

  const server = createServer((request, response) => {
    if (turnedAway.has(request.socket)) return
    const { socket } = request
    if (socket.destroyed) return
    const waiting = unanswered.get(socket) ?? 0
    if (waiting >= MAX_UNANSWERED_REQUESTS) {
      // Pipelined requests whose answers are not read: the connection goes, and what it queued with it.
      log(`closed a connection from ${ipOf(request)} that sent ${MAX_UNANSWERED_REQUESTS} requests without reading their answers`)
      socket.destroy()
      return
    }
    unanswered.set(socket, waiting + 1)
    response.once('close', () => { unanswered.set(socket, (unanswered.get(socket) ?? 1) - 1) })
    const headers = cors(request)
    if (headers instanceof OriginNotAllowedError) { refuse(request, response, headers); return }
    if (request.method === 'OPTIONS') { dropBody(request); response.writeHead(204, headers).end(); return }
    if (request.method === 'GET' && request.url === '/health') {
      dropBody(request)
      response.writeHead(200, { ...headers, 'content-type': 'application/json' })
      response.end(JSON.stringify({ ok: true, peerId: options.node.peerId.toString(), multiaddrs: options.node.getMultiaddrs().map(String), connections: options.node.getConnections().length, ...options.gate.load(), ...options.report?.() }))
      return
    }
    const wanted = (request.method === 'GET' || request.method === 'HEAD') && options.getBlock !== undefined ? BLOCK_PATH.exec(request.url ?? '') : null
    if (wanted !== null) {
      answering(request, response, serveBlockGet(request, response, wanted[1]!, headers), 'serving a block', 'the block could not be read')
      return
    }
    const block = request.method === 'PUT' && options.acceptBlock !== undefined ? BLOCK_PATH.exec(request.url ?? '') : null
    if (block !== null) {
      answering(request, response, serveBlockPut(request, response, block[1]!, headers), 'taking a pushed block', 'the block could not be taken')
      return
    }
    if (request.method === 'POST' && request.url === HELD_QUERY_PATH && options.hasBlock !== undefined) {
      answering(request, response, serveHeldBlocks(request, response, headers), 'answering which blocks are held', 'the query could not be answered')
      return
    }
    if (request.method === 'POST' && request.url === '/v1/sync') {
      serveSyncPost(request, response, headers).catch((error: unknown) => {
        // Unreachable by design (every step above answers); if it happens, the client still hears why.
        log.failure('answering a sync request', error)
        refuse(request, response, new ThreadsError(`the request could not be served: ${(error as Error).message}`))
      })
      return
    }
    refuse(request, response, new EndpointNotFoundError(`there is no ${String(request.method).slice(0, 10)} ${String(request.url).slice(0, 200)} here; the follower serves GET /health and POST /v1/sync`), headers)
  })
  // Connections are counted in all and per address, as libp2p's are: each holds a file descriptor the
  // process shares with libp2p and its databases.
  const perIp = new Map<string, number>()
  let open = 0
  server.on('connection', (socket: Socket) => {
    const ip = socketIp(socket)
    const mine = perIp.get(ip) ?? 0
    if (open >= options.maxConnections) {
      turnAway(socket, 503, new FollowerBusyError(`the follower holds the ${options.maxConnections} HTTP connections it holds at once; try again in ${options.retryAfterSeconds} s`), options.retryAfterSeconds)
      return
    }
    if (mine >= options.maxConnectionsPerIp) {
      turnAway(socket, 429, new TooManyRequestsError(`${ip} already holds the ${options.maxConnectionsPerIp} HTTP connections one address may; try again in ${options.retryAfterSeconds} s`), options.retryAfterSeconds)
      return
    }
    open++
    perIp.set(ip, mine + 1)
    socket.once('close', () => {
      open--
      const left = (perIp.get(ip) ?? 1) - 1
      if (left === 0) perIp.delete(ip)
      else perIp.set(ip, left)
    })
  })
  server.keepAliveTimeout = KEEP_ALIVE_MS
  // A request must arrive whole within this, as over libp2p: a body sent a byte at a time holds its receipt (one of
  // its address's few) for about this long, where Node's default was five minutes.
  server.requestTimeout = REQUEST_TIMEOUT_MS
  // A request's headers must arrive within this; longer than the idle time, as Node requires.
  server.headersTimeout = KEEP_ALIVE_MS + 5000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${options.host}:${port}`,
    close: async () => { await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }) }
  }
}

/** The request body; Node's parser delivers no more than the `Content-Length` it declared, whose bytes were held in the gate. */
async function readBody (request: IncomingMessage): Promise<Uint8Array> {
  return await new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => { chunks.push(chunk) })
    request.on('end', () => {
      // A view of the one buffer that holds the body (no second copy of it); the decoders read any Uint8Array.
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
      resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength))
    })
    request.on('error', reject)
  })
}
