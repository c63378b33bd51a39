/**
 * Why a published snapshot of a thread's views (published-snapshot.ts) is
 * refused or distrusted: one class per condition. A joiner that meets any of
 * them builds its view from the records instead.
 */
import { ThreadsError } from '../errors.ts'

/** A snapshot whose bytes are not a snapshot: wrong shape, size, CIDs, or a thread other than the one asked for. */
export class MalformedSnapshotError extends ThreadsError {
  static override readonly errorName = 'MalformedSnapshotError'
}

/** A snapshot whose signature does not verify against its publisher's log key. */
export class SnapshotSignatureError extends ThreadsError {
  static override readonly errorName = 'SnapshotSignatureError'
}

/** A snapshot whose publisher is not a writer (role write or above) at the position it covers, or whose publisher is distrusted here. */
export class SnapshotPublisherError extends ThreadsError {
  static override readonly errorName = 'SnapshotPublisherError'
}

/** A snapshot whose version vector claims records the thread does not hold (beyond a log's head, or another record at a position). */
export class SnapshotVectorError extends ThreadsError {
  static override readonly errorName = 'SnapshotVectorError'
}

/** A snapshot whose content does not open: a chunk missing, altered, not sealed with the read key it names, or not document states. */
export class SnapshotContentError extends ThreadsError {
  static override readonly errorName = 'SnapshotContentError'
}

/** A snapshot over the size a publisher may publish and a peer stores. */
export class SnapshotTooLargeError extends ThreadsError {
  static override readonly errorName = 'SnapshotTooLargeError'
}

/**
 * A snapshot that verified but whose view differs from the view the records
 * it covers fold to: its publisher signed a state that its thread's history
 * does not give. The publisher is distrusted and the view rebuilt from the records.
 */
export class SnapshotMismatchError extends ThreadsError {
  static override readonly errorName = 'SnapshotMismatchError'
  /** The log that signed the snapshot. */
  readonly publisher: string
  constructor (message: string, publisher: string, options?: { cause?: unknown }) {
    super(message, options)
    this.publisher = publisher
  }
}
