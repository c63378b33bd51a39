/**
 * Whether newly stored ACL events change how records a member has already
 * applied are judged: a role event that sets a member's role from a seq
 * before the member's records held here (lowered below write, its records
 * are no longer admitted; moved across delete, its changes to others'
 * documents are judged anew, document-access.ts), or a member's leave from
 * before records of its log held here. The database then rebuilds its view
 * from the log, and the replay skips (and reports) what the ACL no longer
 * admits and applies what it now allows. A rare event: a role change that
 * raced the member's writes.
 */
import { parseAclBody } from '../acl/codec.ts'
import type { AclChange } from '../acl/types.ts'
import type { Admission } from '../log/admission.ts'
import type { EpochKeyring } from '../log/keyring.ts'
import { decryptBody, decryptHeader } from '../log/open-record.ts'
import type { BatchOutcome, RecordStore } from '../log/record-store.ts'

/** True when a stored, valid ACL event among `outcomes` sets a member's role (a role change or a leave) from before its held head. */
export async function changesAppliedWrites (input: {
  readonly thread: string
  readonly records: RecordStore
  readonly keyring: EpochKeyring
  readonly admission: Admission
  readonly outcomes: readonly BatchOutcome[]
}): Promise<boolean> {
  const { thread, records, keyring, outcomes } = input
  const acl = await input.admission.state(keyring)
  for (const outcome of outcomes) {
    if (outcome instanceof Error || outcome.status !== 'stored' || outcome.node.kind !== 'acl' || acl.refused.some((r) => r.id === outcome.record)) continue
    const [, , header, body] = await records.recordBlocks(outcome.record, keyring, { thread })
    let changes: readonly AclChange[]
    try {
      changes = parseAclBody(decryptBody(body!, decryptHeader(header!, keyring.followKey(outcome.node.key)!).key)).changes
    } catch {
      continue // not an ACL body: it changes nothing
    }
    for (const change of changes) {
      // A leave takes the leaver to none from its next seq, as a role change to none `at` the leave's own seq would.
      const changed = change.type === 'leave' ? { member: outcome.node.log, at: outcome.node.seq } : change.type === 'role' ? change : undefined
      if (changed === undefined) continue
      const head = await records.head(thread, changed.member)
      if (head !== undefined && head.seq > changed.at) return true
    }
  }
  return false
}
