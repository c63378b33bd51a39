/**
 * One named error class per condition. Match on `.name`: structured clone across
 * the worker boundary keeps only name, message and stack.
 */

/** Base class: every Threads error carries a stable `name` and an optional cause. */
export class ThreadsError extends Error {
  static readonly errorName: string = 'ThreadsError'
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = (this.constructor as typeof ThreadsError).errorName
  }
}

/** A thread ID string that does not parse or validate, or (on the wire) is not in its canonical base32 spelling. */
export class MalformedThreadIdError extends ThreadsError {
  static override readonly errorName = 'MalformedThreadIdError'
}

/** A log ID that is not the canonical peer ID spelling of an Ed25519 key, or whose key breaks the public key rule. */
export class MalformedLogIdError extends ThreadsError {
  static override readonly errorName = 'MalformedLogIdError'
}

/** Base of the errors about one block: they carry its CID, so a caller can tell which. */
export abstract class BlockError extends ThreadsError {
  readonly cid: string
  constructor (message: string, cid: string, options?: { cause?: unknown }) {
    super(message, options)
    this.cid = cid
  }
}

/** Bytes whose hash does not match the CID they were given or stored under. */
export class BadCidError extends BlockError {
  static override readonly errorName = 'BadCidError'
}

/** A record signature that does not verify against the log's public key. */
export class BadSignatureError extends ThreadsError {
  static override readonly errorName = 'BadSignatureError'
}

/** Ciphertext that does not authenticate under the key it was opened with. */
export class DecryptError extends ThreadsError {
  static override readonly errorName = 'DecryptError'
}

/** A block or record that decodes but does not have the shape of its format. */
export class MalformedRecordError extends ThreadsError {
  static override readonly errorName = 'MalformedRecordError'
}

/** A record whose previous record or dependencies are not held yet. */
export class MissingDependencyError extends ThreadsError {
  static override readonly errorName = 'MissingDependencyError'
  /** The records not held, with the log each belongs to, so sync knows where to fetch them. */
  readonly missing: ReadonlyArray<{ readonly log: string, readonly record: string }>
  constructor (message: string, missing: ReadonlyArray<{ readonly log: string, readonly record: string }>, options?: { cause?: unknown }) {
    super(message, options)
    this.missing = missing
  }
}

/** Two different records claiming the same position of one log. */
export class EquivocationError extends ThreadsError {
  static override readonly errorName = 'EquivocationError'
  readonly log: string
  readonly seq: number
  /** The record held first and the conflicting one. */
  readonly records: readonly [string, string]
  constructor (message: string, log: string, seq: number, records: readonly [string, string], options?: { cause?: unknown }) {
    super(message, options)
    this.log = log
    this.seq = seq
    this.records = records
  }
}

/** A message (sync, or tab↔worker) that does not have the shape of its type: unknown type, missing or mistyped fields. */
export class MalformedMessageError extends ThreadsError {
  static override readonly errorName = 'MalformedMessageError'
}

/** A record, block or message of a format version this peer does not speak (it names the version). */
export class UnsupportedVersionError extends ThreadsError {
  static override readonly errorName = 'UnsupportedVersionError'
}

/** A block, record or batch over its size limit. */
export class TooLargeError extends ThreadsError {
  static override readonly errorName = 'TooLargeError'
}

/**
 * CBOR from a peer with more items, or deeper nesting, than its format can
 * hold (src/core/bounded-cbor.ts): refused part way through decoding, so
 * crafted input costs no more than honest input of the same kind.
 */
export class TooComplexError extends ThreadsError {
  static override readonly errorName = 'TooComplexError'
}

/** A record whose sequence number does not follow its previous record's. */
export class BadSequenceError extends ThreadsError {
  static override readonly errorName = 'BadSequenceError'
}

/** A key the key book does not hold (for example a read key on a follower). */
export class MissingKeyError extends ThreadsError {
  static override readonly errorName = 'MissingKeyError'
}

/**
 * A record sealed with the keys of a thread epoch this peer does not hold (its
 * key ID is unknown here): it cannot be read yet, which is not malformed.
 */
export class UnknownEpochError extends ThreadsError {
  static override readonly errorName = 'UnknownEpochError'
}

/** A thread of a variant this version does not create or follow (every thread is access-controlled). */
export class UnsupportedThreadError extends ThreadsError {
  static override readonly errorName = 'UnsupportedThreadError'
}

/** A log (or signer) that is not a member of the thread where it acts. */
export class NotAMemberError extends ThreadsError {
  static override readonly errorName = 'NotAMemberError'
}

/** An ACL event past the most one member below admin may write to its log (admission.ts). */
export class AclQuotaError extends ThreadsError {
  static override readonly errorName = 'AclQuotaError'
}

/** A member whose role does not allow what it did (a viewer writing data, a writer changing the ACL). */
export class RoleError extends ThreadsError {
  static override readonly errorName = 'RoleError'
}

/** A block a caller asked for that the block store does not hold. */
export class BlockNotFoundError extends BlockError {
  static override readonly errorName = 'BlockNotFoundError'
}

/** A call on a store that has been closed. */
export class StoreClosedError extends ThreadsError {
  static override readonly errorName = 'StoreClosedError'
}

/** A peer opened more sync sessions at once than a server lets one peer hold; it should send on those it has. */
export class TooManySessionsError extends ThreadsError {
  static override readonly errorName = 'TooManySessionsError'
}

/** An operation cancelled through its AbortSignal. */
export class AbortError extends ThreadsError {
  static override readonly errorName = 'AbortError'
}

/** Throws AbortError when the signal has fired. */
export function throwIfAborted (signal?: AbortSignal): void {
  if (signal?.aborted === true) throw new AbortError('The operation was aborted', { cause: signal.reason })
}

// ---- Access control (record format 3) ----------------------------------------

/** An ACL body, change or key share that does not have the shape or stay within the bounds of its format. */
export class MalformedAclError extends ThreadsError {
  static override readonly errorName = 'MalformedAclError'
}

/** A key share opened by a member it was not sealed to. */
export class NotShareRecipientError extends ThreadsError {
  static override readonly errorName = 'NotShareRecipientError'
}

/** Epoch keys about to be sealed to a member whose role may not receive them (none, or a read key below read). */
export class ShareRoleError extends ThreadsError {
  static override readonly errorName = 'ShareRoleError'
}

/** A key share whose follow key does not hash to the epoch key ID it was shared under. */
export class ShareKeyMismatchError extends ThreadsError {
  static override readonly errorName = 'ShareKeyMismatchError'
}

/** A node holds as many bytes of answers not yet taken by their requesters as it may (for one peer, or for all): ask again shortly. */
export class AnswerBudgetError extends ThreadsError {
  static override readonly errorName = 'AnswerBudgetError'
}
