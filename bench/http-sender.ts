/**
 * The benchmark's HTTP clients: one keep-alive connection each through
 * node:http, posting encoded sync requests to a follower's `/v1/sync`. The
 * clients share the machine's two cores with the follower they measure, and
 * fetch (undici) took about a second of CPU in a run of 200 clients where
 * node:http takes a fraction: the follower reads and answers exactly the same
 * requests either way. Answers are read as the app's transport reads them
 * (src/adapters/http/sync-transport.ts): a sync message, or a JSON refusal
 * `{ name, message }` standing for an error response of that name.
 */
import { Agent, request } from 'node:http'
import { decodeResponse, SYNC_VERSION, type SyncResponse } from '../src/core/sync/messages.ts'
import type { SendEncoded } from './follower-load.ts'

/**
 * A sender over its own keep-alive connection to the follower at `baseUrl`;
 * `open` opens the connection (asking `/health`), `close` ends it.
 */
export function httpSender (baseUrl: string): { send: SendEncoded, open: () => Promise<void>, close: () => void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const url = new URL('/v1/sync', baseUrl)
  const open = async (): Promise<void> => await new Promise<void>((resolve, reject) => {
    request(new URL('/health', baseUrl), { agent, signal: AbortSignal.timeout(60_000) }, (res) => {
      res.resume()
      res.on('end', () => { if (res.statusCode === 200) resolve(); else reject(new Error(`/health answered HTTP ${res.statusCode}`)) })
    }).on('error', reject).end()
  })
  const send: SendEncoded = async (bytes, options) => await new Promise<SyncResponse>((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, signal: options.signal, headers: { 'content-type': 'application/vnd.ipld.dag-cbor', 'content-length': bytes.length } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        try {
          const body = Buffer.concat(chunks)
          const type = res.headers['content-type'] ?? ''
          if (type.startsWith('application/json')) {
            const refusal = JSON.parse(body.toString('utf8')) as { name: string, message: string }
            resolve({ v: SYNC_VERSION, type: 'error', name: refusal.name, message: refusal.message })
          } else if (type.startsWith('application/vnd.ipld.dag-cbor')) {
            resolve(decodeResponse(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)))
          } else {
            reject(new Error(`HTTP ${res.statusCode} without a sync message`))
          }
        } catch (error) {
          reject(error as Error)
        }
      })
    })
    req.on('error', reject)
    req.end(bytes)
  })
  return { send, open, close: () => { agent.destroy() } }
}
