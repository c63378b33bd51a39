/** Errors of the database layer, one class per condition (see core/errors.ts). */
import { ThreadsError } from '../errors.ts'

/** A document that does not satisfy its collection's JSON Schema. */
export class SchemaValidationError extends ThreadsError {
  static override readonly errorName = 'SchemaValidationError'
  /** The failing field as a JSON pointer ("" for the document itself) and what is wrong with it. */
  readonly field: string
  readonly problems: ReadonlyArray<{ readonly field: string, readonly message: string }>
  constructor (message: string, problems: ReadonlyArray<{ readonly field: string, readonly message: string }>, options?: { cause?: unknown }) {
    super(message, options)
    this.problems = problems
    this.field = problems[0]?.field ?? ''
  }
}

/** A command that names a document that does not exist. */
export class DocumentNotFoundError extends ThreadsError {
  static override readonly errorName = 'DocumentNotFoundError'
}

/** A create of a document ID that already exists. */
export class DocumentExistsError extends ThreadsError {
  static override readonly errorName = 'DocumentExistsError'
}

/** A malformed command, query or event payload. */
export class InvalidCommandError extends ThreadsError {
  static override readonly errorName = 'InvalidCommandError'
}

/**
 * A record payload that is not a valid database event (another type, another
 * format version, a malformed operation): the record is kept and relayed, but
 * left out of the views (see ThreadDatabase.skipped).
 */
export class InvalidEventError extends ThreadsError {
  static override readonly errorName = 'InvalidEventError'
}

/** A thread this database does not know. */
export class ThreadNotFoundError extends ThreadsError {
  static override readonly errorName = 'ThreadNotFoundError'
}

/** A collection used with a different definition than the one it was opened with. */
export class CollectionConflictError extends ThreadsError {
  static override readonly errorName = 'CollectionConflictError'
}

/**
 * An operation on a document bound to another member's log (see
 * document-access.ts) by a member whose role is below `delete`: every replica
 * skips the event whole, and a member's own database refuses such a command
 * before writing.
 */
export class DocumentAccessError extends ThreadsError {
  static override readonly errorName = 'DocumentAccessError'
}
