/**
 * The follower's HTTP side: GET /health, and POST /v1/sync taking one sync
 * request as dag-cbor and answering one response (paper §3.2.3: records can be
 * pushed and pulled over plain HTTP, e.g. by a service worker with no tab open).
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Libp2p } from 'libp2p'
import type { HandledRequest } from '../src/core/sync/handler.ts'
import { decodeRequest, encodeMessage, MAX_MESSAGE_BYTES, type SyncRequest } from '../src/core/sync/messages.ts'

async function readBody (request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > MAX_MESSAGE_BYTES) throw new Error('request body too large')
    chunks.push(chunk as Buffer)
  }
  return new Uint8Array(Buffer.concat(chunks))
}

/** Starts the HTTP server; resolves once it listens. */
export async function startHttp (input: { host: string, port: number, node: Libp2p, handler: (request: SyncRequest) => Promise<HandledRequest> }): Promise<{ url: string, close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' }
    if (request.method === 'OPTIONS') { response.writeHead(204, cors).end(); return }
    if (request.method === 'GET' && request.url === '/health') {
      response.writeHead(200, { ...cors, 'content-type': 'application/json' })
      response.end(JSON.stringify({ ok: true, peerId: input.node.peerId.toString(), multiaddrs: input.node.getMultiaddrs().map(String), connections: input.node.getConnections().length }))
      return
    }
    if (request.method === 'POST' && request.url === '/v1/sync') {
      readBody(request)
        .then(async (body) => await input.handler(decodeRequest(body)))
        .then((handled) => {
          response.writeHead(handled.response.type === 'error' ? 400 : 200, { ...cors, 'content-type': 'application/vnd.ipld.dag-cbor' })
          response.end(encodeMessage(handled.response))
        }, (error: Error) => {
          response.writeHead(400, { ...cors, 'content-type': 'application/vnd.ipld.dag-cbor' })
          response.end(encodeMessage({ v: 1, type: 'error', name: error.name, message: error.message }))
        })
      return
    }
    response.writeHead(404, cors).end()
  })
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
