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

/**
 * The album was joined on this device, but the follower refused the join
 * announcement, so the other members cannot learn this device's log (and will
 * not see its photos) until it is announced.
 */
export class JoinNotAnnouncedError extends ThreadsError {
  static override readonly errorName = 'JoinNotAnnouncedError'
  /** The name of the error the follower answered with. */
  readonly remoteName: string
  constructor (message: string, remoteName: string, options?: { cause?: unknown }) {
    super(message, options)
    this.remoteName = remoteName
  }
}
