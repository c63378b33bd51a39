/**
 * The follower's HTTP side: GET /health, and POST /v1/sync taking one sync
 * request as dag-cbor and answering one response (paper §3.2.3: records can be
 * pushed and pulled over plain HTTP, e.g. by a service worker with no tab open).
 *
 * Every POST is answered with a sync message, whatever its body: an error
 * response in words (HTTP 400, or 413 for a body over MAX_MESSAGE_BYTES, which
 * is not kept) when it cannot be served. Nothing a client sends can throw out
 * of the server, so no request can end the follower.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Libp2p } from 'libp2p'
import { TooLargeError } from '../src/core/errors.ts'
import type { HandledRequest } from '../src/core/sync/handler.ts'
import { MAX_MESSAGE_BYTES, type SyncRequest } from '../src/core/sync/messages.ts'
import { answerRequest, refusal, type EncodedAnswer } from '../src/core/sync/serve.ts'

/**
 * How long an idle keep-alive connection stays open. Clients close theirs a
 * little before the time this announces; a client whose event loop is busy
 * longer than that (a member verifying a batch of photos) may send its next
 * request on a connection the server has just closed, so the time is long.
 */
const KEEP_ALIVE_MS = 60_000

const CORS = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' }
const SYNC_CONTENT_TYPE = 'application/vnd.ipld.dag-cbor'

/**
 * The request body, or TooLargeError once it passes MAX_MESSAGE_BYTES. What
 * comes after that is read and dropped, not kept, so that the client, still
 * sending, gets to read the answer.
 */
async function readBody (request: IncomingMessage): Promise<Uint8Array> {
  const declared = Number(request.headers['content-length'] ?? 0)
  return await new Promise((resolve, reject) => {
    let chunks: Buffer[] = []
    let size = 0
    let over = declared > MAX_MESSAGE_BYTES
    if (over) reject(new TooLargeError(`the request body is ${declared} bytes; a sync message may take ${MAX_MESSAGE_BYTES}`))
    request.on('data', (chunk: Buffer) => {
      if (over) return
      size += chunk.length
      if (size <= MAX_MESSAGE_BYTES) { chunks.push(chunk); return }
      over = true
      chunks = []
      reject(new TooLargeError(`the request body is over the ${MAX_MESSAGE_BYTES} bytes a sync message may take`))
    })
    request.on('end', () => { if (!over) resolve(new Uint8Array(Buffer.concat(chunks))) })
    request.on('error', reject)
  })
}

function send (response: ServerResponse, answer: EncodedAnswer, status: number): void {
  if (response.headersSent) return
  response.writeHead(status, { ...CORS, 'content-type': SYNC_CONTENT_TYPE })
  response.end(answer.bytes)
}

/** Answers one POST /v1/sync; never rejects. */
async function serveSyncPost (request: IncomingMessage, response: ServerResponse, handler: (request: SyncRequest) => Promise<HandledRequest>): Promise<void> {
  let body: Uint8Array
  try {
    body = await readBody(request)
  } catch (error) {
    const answer = refusal(error)
    send(response, answer, answer.response.type === 'error' && answer.response.name === 'TooLargeError' ? 413 : 400)
    return
  }
  const answer = await answerRequest(handler, body)
  send(response, answer, answer.response.type === 'error' ? 400 : 200)
}

/** Starts the HTTP server; resolves once it listens. */
export async function startHttp (input: { host: string, port: number, node: Libp2p, handler: (request: SyncRequest) => Promise<HandledRequest> }): Promise<{ url: string, close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    if (request.method === 'OPTIONS') { response.writeHead(204, CORS).end(); return }
    if (request.method === 'GET' && request.url === '/health') {
      response.writeHead(200, { ...CORS, 'content-type': 'application/json' })
      response.end(JSON.stringify({ ok: true, peerId: input.node.peerId.toString(), multiaddrs: input.node.getMultiaddrs().map(String), connections: input.node.getConnections().length }))
      return
    }
    if (request.method === 'POST' && request.url === '/v1/sync') {
      serveSyncPost(request, response, input.handler).catch((error: Error) => {
        // Unreachable by design (serve.ts answers everything); if it happens, the client still hears why.
        if (!response.headersSent) response.writeHead(500, CORS)
        response.end(`${error.name}: ${error.message}`)
      })
      return
    }
    response.writeHead(404, CORS).end()
  })
  server.keepAliveTimeout = KEEP_ALIVE_MS
  // A request's headers must arrive within this; longer than the idle time, as Node requires.
  server.headersTimeout = KEEP_ALIVE_MS + 5000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(input.port, input.host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${input.host}:${port}`,
    close: async () => { await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }) }
  }
}
