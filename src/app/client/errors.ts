/** Named errors of connecting a tab to the background node. Messages are shown to the user as they are. */
import { ThreadsError } from '../../protocol/errors.ts'

/** The browser has no SharedWorker, which the background node runs in. */
export class SharedWorkerUnsupportedError extends ThreadsError {
  static override readonly errorName = 'SharedWorkerUnsupportedError'
}

/** The SharedWorker script failed to load or to run. */
export class WorkerStartError extends ThreadsError {
  static override readonly errorName = 'WorkerStartError'
}

/** A chosen file could not be read as an image, or not made small enough to share. */
export class PhotoImageError extends ThreadsError {
  static override readonly errorName = 'PhotoImageError'
}
