/**
 * An in-memory transport: requests and responses go through the real wire
 * encoding and the same answering path as a network peer's (serve.ts), so
 * tests exercise the codec and the handler exactly as a peer would, without a
 * network.
 */
import type { SyncTransport } from '../../src/core/sync/engine.ts'
import type { HandledRequest } from '../../src/core/sync/handler.ts'
import { decodeResponse, encodeMessage, type SyncRequest } from '../../src/core/sync/messages.ts'
import { answerRequest } from '../../src/core/sync/serve.ts'

/** A transport that hands each request to `handler` and reports abusive peers to `onAbuse`. */
export function createLoopbackTransport (handler: (request: SyncRequest) => Promise<HandledRequest>, onAbuse?: () => void): SyncTransport {
  return {
    async request (request) {
      const answer = await answerRequest(handler, encodeMessage(request))
      if (answer.abusive) onAbuse?.()
      return decodeResponse(answer.bytes)
    }
  }
}
