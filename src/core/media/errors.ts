/**
 * Errors of the media format that the core's shared errors do not already
 * name. A missing block is `BlockNotFoundError`, bytes that do not hash to
 * their CID `BadCidError`, a chunk that does not authenticate `DecryptError`,
 * a block or file past a limit `TooLargeError` (all in ../errors.ts).
 */
import { ThreadsError } from '../errors.ts'

/** A media manifest (or media reference) that decodes but does not have the shape of the format. */
export class MalformedMediaError extends ThreadsError {
  static override readonly errorName = 'MalformedMediaError'
}

/** A media file whose manifest lists more chunks than the format allows (or than its size needs). */
export class TooManyChunksError extends ThreadsError {
  static override readonly errorName = 'TooManyChunksError'
}

/** A file whose bytes do not match the size it was declared with. */
export class MediaSizeMismatchError extends ThreadsError {
  static override readonly errorName = 'MediaSizeMismatchError'
}
