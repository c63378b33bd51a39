/**
 * The document rule, judged alike by every member whatever order records
 * arrive in (docs/PROTOCOL.md, "Documents bound to their creator"). A document
 * ID that starts with a log ID and "." is **bound** to that log: the log that
 * created it. An operation of any kind (create, patch, delete, text) on a
 * document bound to another log is allowed only to a member whose role at the
 * record's seq is `delete` or above; a writer may change documents bound to
 * its own log and documents whose ID is not bound (shared ones). The binding
 * is in the ID every operation names, so the check needs only the operation,
 * the record's log and the ACL's role for that log at that seq: no other
 * record, and no collection declaration. A collection declared
 * `access: 'creator'` (the default) gives the documents it creates IDs bound
 * to this member's log; `access: 'shared'` gives unbound ones.
 */
import { mayChangeDocument } from '../acl/roles.ts'
import type { Role } from '../acl/types.ts'
import { DocumentAccessError } from './errors.ts'
import type { Operation } from './events.ts'

/** A log ID as it opens a bound document ID: `12D3KooW` and 44 more base58btc characters (an Ed25519 peer ID), then ".". */
const BOUND = /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}\./

/** The log a document ID is bound to, or undefined for a shared (unbound) ID. */
export function boundLog (id: string): string | undefined {
  return BOUND.test(id) ? id.slice(0, 52) : undefined
}

/** A document ID bound to `log`, ending in `suffix`. */
export function boundId (log: string, suffix: string): string {
  return `${log}.${suffix}`
}

/** At most 80 characters of a document ID, for messages. */
const shortId = (id: string): string => id.length > 80 ? `${id.slice(0, 80)}…` : id

/** The first operation of `ops` that `author`, of role `role` at the record's seq, may not make, with the log its document is bound to. */
function firstForeign (ops: readonly Operation[], author: string, role: Role): { index: number, op: Operation, owner: string } | undefined {
  for (const [index, op] of ops.entries()) {
    const owner = boundLog(op.id)
    if (owner !== undefined && !mayChangeDocument({ role, isCreator: owner === author, rule: 'creator' })) return { index, op, owner }
  }
  return undefined
}

/**
 * Why a received event of `author`, of role `role` at its record's seq, is
 * not applied: its first operation on a document bound to another log when
 * the role is below `delete`; undefined when every operation is allowed. An
 * event is applied whole or skipped whole, so one such operation refuses it all.
 */
export function documentAccessRefusal (ops: readonly Operation[], author: string, role: Role): DocumentAccessError | undefined {
  const found = firstForeign(ops, author, role)
  if (found === undefined) return undefined
  const { index, op, owner } = found
  return new DocumentAccessError(`operation ${index} (${op.op}) changes document "${shortId(op.id)}" of collection "${shortId(op.coll)}", which belongs to log ${owner}; changing another member's document needs role delete, and log ${author} has role ${role}`)
}

/** The same rule for this member's own command, in the words its user reads (before anything is written). */
export function ownDocumentRefusal (ops: readonly Operation[], self: string, role: Role): DocumentAccessError | undefined {
  const found = firstForeign(ops, self, role)
  if (found === undefined) return undefined
  const { op, owner } = found
  return new DocumentAccessError(`You cannot ${op.op === 'delete' ? 'delete' : 'change'} document "${shortId(op.id)}" of collection "${shortId(op.coll)}": another member (log ${owner}) created it, and changing someone else's documents needs role delete; you have role ${role}`)
}
