/**
 * The follower's refusals of work past one of its limits (limits.ts), one
 * named error per condition. Over libp2p a refusal travels as a sync error
 * response (its name and message); over HTTP as a status with a JSON
 * `{ name, message }` body, and `Retry-After` where waiting helps.
 */
import { ThreadsError } from '../src/core/errors.ts'

/** The follower is serving as many requests, or holding as many bytes, as it allows in all; try again shortly (HTTP 503). */
export class FollowerBusyError extends ThreadsError {
  static override readonly errorName = 'FollowerBusyError'
}

/** This peer or address already has as many requests under way as it may; try again shortly (HTTP 429). */
export class TooManyRequestsError extends ThreadsError {
  static override readonly errorName = 'TooManyRequestsError'
}

/** The requester already has the follower follow as many threads as it may. */
export class ThreadQuotaError extends ThreadsError {
  static override readonly errorName = 'ThreadQuotaError'
}

/** The thread holds as many bytes on the follower as it may. */
export class StorageQuotaError extends ThreadsError {
  static override readonly errorName = 'StorageQuotaError'
}

/** A browser page from an origin the follower does not serve (HTTP 403). */
export class OriginNotAllowedError extends ThreadsError {
  static override readonly errorName = 'OriginNotAllowedError'
}

/** A request body in a format the endpoint does not take (HTTP 415). */
export class UnsupportedContentTypeError extends ThreadsError {
  static override readonly errorName = 'UnsupportedContentTypeError'
}

/** A request body whose length is not declared up front (HTTP 411). */
export class LengthRequiredError extends ThreadsError {
  static override readonly errorName = 'LengthRequiredError'
}

/** No such endpoint, or not with this method (HTTP 404). */
export class EndpointNotFoundError extends ThreadsError {
  static override readonly errorName = 'EndpointNotFoundError'
}
