/**
 * Role order and the rules that follow from it alone: roles are ordered
 * none < follow < read < write < delete < admin, each including those before it.
 */
import { ROLES, type Role } from './types.ts'

/** The position of a role in the order (none = 0, admin = 5). */
export function roleRank (role: Role): number {
  return ROLES.indexOf(role)
}

/** Whether `role` includes `needed`. */
export function atLeast (role: Role, needed: Role): boolean {
  return roleRank(role) >= roleRank(needed)
}

/** Who may update or delete documents of a collection: everyone of role write (`shared`), or only a document's creator (`creator`, the default). */
export type DocumentRule = 'shared' | 'creator'

/**
 * Whether a member of `role` may update or delete a document: role delete and
 * above always; role write when the collection's rule is `shared` or the
 * member created the document's current incarnation; below write never.
 */
export function mayChangeDocument (options: { role: Role, isCreator: boolean, rule: DocumentRule }): boolean {
  if (atLeast(options.role, 'delete')) return true
  return atLeast(options.role, 'write') && (options.rule === 'shared' || options.isCreator)
}
