/**
 * An in-memory transport: requests and responses go through the real wire
 * encoding, so tests exercise the codec and the handler exactly as a network
 * peer would, without a network.
 */
import type { SyncTransport } from './engine.ts'
import type { HandledRequest } from './handler.ts'
import { decodeRequest, decodeResponse, encodeMessage, type SyncRequest } from './messages.ts'

/** A transport that hands each request to `handler` and reports abusive peers to `onAbuse`. */
export function createLoopbackTransport (handler: (request: SyncRequest) => Promise<HandledRequest>, onAbuse?: () => void): SyncTransport {
  return {
    async request (request) {
      const handled = await handler(decodeRequest(encodeMessage(request)))
      if (handled.abusive) onAbuse?.()
      return decodeResponse(encodeMessage(handled.response))
    }
  }
}
