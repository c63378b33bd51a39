/**
 * Which invites a rotation seals the new epoch's keys to, so that a link
 * made before the rotation still lets its holder join and read what is
 * written after it: every invite whose author is still an admin, that is not
 * a used single-use invite, and that has not expired by the rotating
 * member's clock. Evaluation accepts shares only to the first two kinds
 * (rules.ts); expiry is judged here, by the author, since evaluation has no clock.
 */
import { atLeast } from './roles.ts'
import type { AclState, InviteInfo, Role } from './types.ts'

/**
 * The invites of `state` still open to joins at time `now` (ms since 1970),
 * in ACL order; `changed` are roles about to change in the same record (a
 * removal and its rotation).
 */
export function outstandingInvites (state: AclState, now: number, changed: ReadonlyMap<string, Role> = new Map()): InviteInfo[] {
  const roles = new Map(state.members().map((m) => [m.log, changed.get(m.log) ?? m.role]))
  const roleOf = (log: string): Role => roles.get(log) ?? 'none'
  return state.invites().filter((invite) =>
    atLeast(roleOf(invite.by), 'admin') &&
    invite.usedBy.every((log) => atLeast(roleOf(log), invite.role)) &&
    !(invite.uses === 1 && invite.usedBy.length > 0) &&
    (invite.expires === null || invite.expires > now))
}
