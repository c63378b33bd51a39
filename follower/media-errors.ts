/**
 * Refusals of the follower's media blocks. (Hash, size and shape failures are
 * the core's BadCidError, TooLargeError and MalformedMediaError.)
 */
import { ThreadsError } from '../src/core/errors.ts'

/** A block offered that no admitted record references: the follower keeps only what its threads use. */
export class UnreferencedBlockError extends ThreadsError {
  static override readonly errorName = 'UnreferencedBlockError'
}
