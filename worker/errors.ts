/** Named errors of the SharedWorker's wiring. */
import { ThreadsError } from '../src/core/errors.ts'

/** The worker's node failed to set up; every request is answered with this error. */
export class NodeSetupError extends ThreadsError {
  static override readonly errorName = 'NodeSetupError'
}
