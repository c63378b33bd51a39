/**
 * The sync protocol over libp2p: one stream per request, one length-prefixed
 * dag-cbor message each way. The serving side disconnects a peer whose
 * request is malformed or whose records fail verification.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { lpStream } from '@libp2p/utils'
import type { SyncTransport } from '../../core/sync/engine.ts'
import type { HandledRequest } from '../../core/sync/handler.ts'
import { decodeRequest, decodeResponse, encodeMessage, MAX_MESSAGE_BYTES, SYNC_PROTOCOL, type SyncRequest } from '../../core/sync/messages.ts'
import { ThreadsError } from '../../core/errors.ts'

/** How long one request may take on the wire. */
const REQUEST_TIMEOUT_MS = 30_000

async function closedOrTimeout (stream: Stream, ms: number): Promise<void> {
  if (stream.status === 'closed' || stream.status === 'aborted' || stream.status === 'reset') return
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    stream.addEventListener('close', () => { clearTimeout(timer); resolve() }, { once: true })
  })
}

/** Serves sync requests with `handler` on `node`. */
export async function serveSync (node: Libp2p, handler: (request: SyncRequest) => Promise<HandledRequest>): Promise<void> {
  await node.handle(SYNC_PROTOCOL, async (stream, connection) => {
    const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    let handled: HandledRequest
    try {
      handled = await handler(decodeRequest((await lp.read({ signal })).subarray()))
    } catch (error) {
      const name = error instanceof ThreadsError ? error.name : 'MalformedRecordError'
      handled = { response: { v: 1, type: 'error', name, message: (error as Error).message }, abusive: true }
    }
    try {
      await lp.write(encodeMessage(handled.response), { signal })
      await stream.close({ signal })
    } finally {
      if (handled.abusive) {
        // Let the peer read why before the connection goes: wait for its side to close, briefly.
        await closedOrTimeout(stream, 2000)
        await connection.close().catch(() => {})
      }
    }
  }, { maxInboundStreams: 64, runOnLimitedConnection: true })
}

/** A transport that sends each request to `peer` over a new stream. */
export function libp2pSyncTransport (node: Libp2p, peer: PeerId | Multiaddr | Multiaddr[]): SyncTransport {
  return {
    async request (request, options) {
      // The caller's signal (a sync being cancelled, or one request called off) and the wire timeout both end it.
      const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
      const signal = options?.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
      const stream = await node.dialProtocol(peer, SYNC_PROTOCOL, { signal, runOnLimitedConnection: true })
      try {
        const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
        await lp.write(encodeMessage(request), { signal })
        const response = decodeResponse((await lp.read({ signal })).subarray())
        await stream.close({ signal })
        return response
      } catch (error) {
        stream.abort(error instanceof Error ? error : new Error(String(error)))
        throw error
      }
    }
  }
}
