/**
 * Named errors of the tab↔worker link. Each has a stable `name` to match on,
 * because only name and message survive the trip across the port.
 */
import { ThreadsError } from '../core/errors.ts'
import type { WireError } from './messages.ts'

// Re-exported so the UI reaches core's error classes through the protocol layer
// only: app/ imports nothing from core/ but types. A tab↔worker message that does not
// fit the protocol is a MalformedMessageError, as a sync message that does not is.
export { AbortError, MalformedMessageError, ThreadsError } from '../core/errors.ts'

/** The other side did not answer a request in time. */
export class RpcTimeoutError extends ThreadsError {
  static override readonly errorName = 'RpcTimeoutError'
}

/** The tab and the worker speak different protocol versions (for example across a deploy). */
export class ProtocolMismatchError extends ThreadsError {
  static override readonly errorName = 'ProtocolMismatchError'
}

/**
 * Where tabs share a node led through a Web Lock: the tab running it closed
 * while a request that cannot safely be repeated was under way, so it may or
 * may not have been done.
 */
export class HandoverError extends ThreadsError {
  static override readonly errorName = 'HandoverError'
}

/** A tab asked for something before the background node answered its first message. */
export class NodeNotReadyError extends ThreadsError {
  static override readonly errorName = 'NodeNotReadyError'
}

/** The link was closed while a request was waiting for its reply. */
export class LinkClosedError extends ThreadsError {
  static override readonly errorName = 'LinkClosedError'
}

/**
 * An error raised on the other side of the port. Its `name` is the remote error's
 * name (for example `BadSignatureError`), so callers match on `.name` as they would
 * locally; `instanceof RemoteError` tells that it came from across the port.
 */
export class RemoteError extends ThreadsError {
  static override readonly errorName = 'RemoteError'
  constructor (wire: WireError, options?: { cause?: unknown }) {
    super(wire.message, options)
    this.name = wire.name
  }
}

/** Turns anything thrown into the {@link WireError} sent in an `error` reply. */
export function toWireError (error: unknown): WireError {
  if (error instanceof Error) return { name: error.name, message: error.message }
  return { name: 'Error', message: String(error) }
}

/**
 * A thumbnail larger than MEDIA_MESSAGE_LIMITS.maxThumbnailBytes: refused where
 * it is read, since a tab holds thousands of thumbnails as data URLs.
 */
export class ThumbnailTooLargeError extends ThreadsError {
  static override readonly errorName = 'ThumbnailTooLargeError'
}
