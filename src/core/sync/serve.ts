/**
 * Answers one encoded request, for every transport alike (libp2p, HTTP, the
 * in-memory loopback): whatever the bytes are, the answer is an encoded
 * response within MAX_MESSAGE_BYTES, an error response in words when the
 * request cannot be served. Nothing here throws, so no request can end the
 * serving process.
 */
import { ThreadsError } from '../errors.ts'
import { errorResponse, type HandledRequest } from './handler.ts'
import { decodeRequest, encodeMessage, type SyncRequest, type SyncResponse } from './messages.ts'

/** An answer ready to send, and whether the peer that asked misbehaved (the transport may disconnect it). */
export interface EncodedAnswer {
  readonly bytes: Uint8Array
  readonly response: SyncResponse
  readonly abusive: boolean
}

/** Refusals of a request's bytes that an honest peer can cause: it speaks another version. */
const HONEST_REFUSALS = new Set(['UnsupportedVersionError'])

/** The encoded answer to a request that could not be read (too large, not a message, not canonical, another version). */
export function refusal (error: unknown): EncodedAnswer {
  const response = errorResponse(error)
  return { bytes: encodeMessage(response), response, abusive: !(error instanceof ThreadsError && HONEST_REFUSALS.has(error.name)) }
}

/** Encodes a handled request; a response that cannot be encoded (over the limit) becomes an error response in words. */
export function encodeAnswer (handled: HandledRequest): EncodedAnswer {
  try {
    return { bytes: encodeMessage(handled.response), response: handled.response, abusive: handled.abusive }
  } catch (error) {
    const response = errorResponse(error)
    return { bytes: encodeMessage(response), response, abusive: handled.abusive }
  }
}

/** Decodes `bytes` as a request, has `handler` answer it, and encodes the answer. */
export async function answerRequest (handler: (request: SyncRequest) => Promise<HandledRequest>, bytes: Uint8Array): Promise<EncodedAnswer> {
  let request: SyncRequest
  try {
    request = decodeRequest(bytes)
  } catch (error) {
    return refusal(error)
  }
  let handled: HandledRequest
  try {
    handled = await handler(request)
  } catch (error) {
    handled = { response: errorResponse(error), abusive: false }
  }
  return encodeAnswer(handled)
}
