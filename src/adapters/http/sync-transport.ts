/**
 * The sync protocol over plain HTTP (paper §3.2.3): each request is one POST
 * of a dag-cbor message to a follower's `/v1/sync`, answered by one dag-cbor
 * response. For hosts with fetch but no libp2p node: a service worker flushing
 * the outbox with no tab open, or any HTTP client following a thread. An
 * answer over MAX_MESSAGE_BYTES is a TooLargeError, and is not read further
 * than the limit. A refusal before the request was read (the follower busy,
 * a quota, a body it does not take: a JSON `{ name, message }` with its HTTP
 * status) comes back as a sync error response of that name, as over libp2p,
 * so callers meet one shape of refusal.
 */
import type { SyncTransport } from '../../core/sync/engine.ts'
import { decodeResponse, encodeMessage, MAX_ERROR_MESSAGE_LENGTH, MAX_ERROR_NAME_LENGTH, MAX_MESSAGE_BYTES, SYNC_VERSION, type SyncResponse } from '../../core/sync/messages.ts'
import { ThreadsError, TooLargeError } from '../../core/errors.ts'
import { discardBody, readBody } from './read-body.ts'

const REQUEST_TIMEOUT_MS = 30_000
/** A refusal's words are short; more is not a follower's. */
const MAX_REFUSAL_BYTES = 16 * 1024

/** A JSON refusal `{ name, message }` as the sync error response it stands for, or undefined if the body is not one. */
async function refusalOf (response: Response, baseUrl: string): Promise<SyncResponse | undefined> {
  if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) return undefined
  const body = await readBody(response, MAX_REFUSAL_BYTES, () => new HttpSyncError(`The follower at ${baseUrl} answered HTTP ${response.status} with a refusal over ${MAX_REFUSAL_BYTES} bytes`))
  let refusal: { name?: unknown, message?: unknown }
  try {
    refusal = JSON.parse(new TextDecoder().decode(body)) as { name?: unknown, message?: unknown }
  } catch (cause) {
    throw new HttpSyncError(`The follower at ${baseUrl} answered HTTP ${response.status} with JSON that does not parse`, { cause })
  }
  if (typeof refusal?.name !== 'string' || typeof refusal.message !== 'string') return undefined
  const retry = response.headers.get('retry-after')
  const wait = retry === null ? '' : ` (retry after ${retry.slice(0, 20)} s)`
  return { v: SYNC_VERSION, type: 'error', name: refusal.name.slice(0, MAX_ERROR_NAME_LENGTH), message: `${refusal.message}${wait}`.slice(0, MAX_ERROR_MESSAGE_LENGTH) }
}

/** The follower could not be reached, or answered with something other than a sync response. */
export class HttpSyncError extends ThreadsError {
  static override readonly errorName = 'HttpSyncError'
}

/**
 * Posts one encoded sync request to `url` (a follower's `/v1/sync`) and reads
 * its answer; what `httpSyncTransport` sends each request with, for callers
 * that encode their requests ahead of time.
 */
export async function postSyncMessage (url: string, bytes: Uint8Array, options?: { signal?: AbortSignal }): Promise<SyncResponse> {
  const baseUrl = new URL(url).origin
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
  const refused = await refusalOf(response, baseUrl)
  if (refused !== undefined) return refused
  if (!(response.headers.get('content-type') ?? '').startsWith('application/vnd.ipld.dag-cbor')) {
    await discardBody(response)
    throw new HttpSyncError(`The follower answered HTTP ${response.status} without a sync message`)
  }
  // Error responses to requests served (HTTP 400) are sync messages too; the engine turns them into named errors.
  return decodeResponse(await readBody(response, MAX_MESSAGE_BYTES, () => new TooLargeError(`The answer of the follower at ${baseUrl} is over the ${MAX_MESSAGE_BYTES} bytes a sync message may take`)))
}

/** A transport to the follower whose HTTP side is at `baseUrl` (e.g. `http://127.0.0.1:4002`). */
export function httpSyncTransport (baseUrl: string): SyncTransport {
  const url = new URL('/v1/sync', baseUrl).toString()
  return {
    request: async (request, options) => await postSyncMessage(url, encodeMessage(request), options)
  }
}
