/**
 * The sync protocol over plain HTTP (paper §3.2.3): each request is one POST
 * of a dag-cbor message to a follower's `/v1/sync`, answered by one dag-cbor
 * response. For hosts with fetch but no libp2p node: a service worker flushing
 * the outbox with no tab open, or any HTTP client following a thread. An
 * answer over MAX_MESSAGE_BYTES is a TooLargeError, and is not read further
 * than the limit.
 */
import type { SyncTransport } from '../../core/sync/engine.ts'
import { decodeResponse, encodeMessage, MAX_MESSAGE_BYTES } from '../../core/sync/messages.ts'
import { ThreadsError, TooLargeError } from '../../core/errors.ts'
import { discardBody, readBody } from './read-body.ts'

const REQUEST_TIMEOUT_MS = 30_000

/** The follower could not be reached, or answered with something other than a sync response. */
export class HttpSyncError extends ThreadsError {
  static override readonly errorName = 'HttpSyncError'
}

/** A transport to the follower whose HTTP side is at `baseUrl` (e.g. `http://127.0.0.1:4002`). */
export function httpSyncTransport (baseUrl: string): SyncTransport {
  const url = new URL('/v1/sync', baseUrl).toString()
  return {
    async request (request, options) {
      const bytes = encodeMessage(request)
      let response: Response
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/vnd.ipld.dag-cbor' },
          body: bytes as Uint8Array<ArrayBuffer>,
          signal: options?.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS)
        })
      } catch (error) {
        throw new HttpSyncError(`The follower at ${baseUrl} could not be reached: ${(error as Error).message}`, { cause: error })
      }
      if (!(response.headers.get('content-type') ?? '').startsWith('application/vnd.ipld.dag-cbor')) {
        await discardBody(response)
        throw new HttpSyncError(`The follower answered HTTP ${response.status} without a sync message`)
      }
      // Error responses (HTTP 400, 413) are sync messages too; the engine turns them into named errors.
      return decodeResponse(await readBody(response, MAX_MESSAGE_BYTES, () => new TooLargeError(`The answer of the follower at ${baseUrl} is over the ${MAX_MESSAGE_BYTES} bytes a sync message may take`)))
    }
  }
}
