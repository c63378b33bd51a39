/** Named errors of the album service; each reaches the tab by its name and message, shown in words. */
import { ThreadsError } from '../core/errors.ts'

/** The background node failed to set up; every request is answered with this error. */
export class NodeSetupError extends ThreadsError {
  static override readonly errorName = 'NodeSetupError'
}

/** A photo, or its image, is not in the album. */
export class PhotoNotFoundError extends ThreadsError {
  static override readonly errorName = 'PhotoNotFoundError'
}


/** An album could not be deleted or left yet: what tells the others has not reached the follower. */
export class AlbumNotSentError extends ThreadsError {
  static override readonly errorName = 'AlbumNotSentError'
}

/** The node has no store for photos' files (the host gave it none), so it can neither add nor show them. */
export class MediaUnavailableError extends ThreadsError {
  static override readonly errorName = 'MediaUnavailableError'
}

/** A thumbnail pack made again to be pushed is not the block its snapshot names (a thumbnail went from this device meanwhile). */
export class PackChangedError extends ThreadsError {
  static override readonly errorName = 'PackChangedError'
}
