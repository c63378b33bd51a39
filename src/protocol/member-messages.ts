/**
 * Tab ↔ worker messages about who is in an album (added to the album messages
 * in messages.ts): invites with a role, changing a role, removing someone,
 * leaving or deleting an album, and the display name this person uses in
 * every album. The member list itself travels in every album report
 * (`members` and `access` of {@link AlbumSnapshot}), so a tab is pushed it
 * whenever it changes.
 */

/** Roles in order; each includes those before it (docs/PROTOCOL.md, "Access control"). */
export const MEMBER_ROLES = ['none', 'follow', 'read', 'write', 'delete', 'admin'] as const
export type MemberRole = typeof MEMBER_ROLES[number]

/** Roles an invite or a role change may grant. */
export const GRANTABLE_ROLES = ['follow', 'read', 'write', 'delete', 'admin'] as const
export type GrantableRole = typeof GRANTABLE_ROLES[number]

/** The longest display name, in UTF-8 bytes (the `profile` ACL change's limit). */
export const MAX_NAME_BYTES = 64

/** One member of an album, as its ACL says (names from the member's own signed `profile` change). */
export interface MemberView {
  /** The member's log ID. */
  readonly log: string
  /** The name the member gave itself, if any. */
  readonly name?: string
  /** Current role; `none` once removed or gone. */
  readonly role: MemberRole
  /** The album's creator, an admin nobody can demote. */
  readonly owner: boolean
  /** This device's own log. */
  readonly you: boolean
}

/**
 * Where this device stands in an album: `member` while it has a role;
 * `joining` until the invite it joined through reaches it; `removed`, `left`
 * or `deleted` (its owner deleted it for everyone) once it has no access: what
 * it had stays, read-only.
 */
export interface AccessView {
  readonly role: MemberRole
  readonly state: 'member' | 'joining' | 'removed' | 'left' | 'deleted'
}

/** Member requests (without the v/id envelope). */
export type MemberRequest =
  | { readonly type: 'member.setRole', readonly thread: string, readonly member: string, readonly role: GrantableRole }
  | { readonly type: 'member.remove', readonly thread: string, readonly member: string }
  | { readonly type: 'album.leave', readonly thread: string }
  | { readonly type: 'album.delete', readonly thread: string }
  | { readonly type: 'profile.get' }
  | { readonly type: 'profile.setName', readonly name: string }

/** Member replies (without the v/id envelope). */
export type MemberReply =
  | { readonly type: 'member.roleSet', readonly member: string, readonly role: GrantableRole }
  | { readonly type: 'member.removed', readonly member: string }
  | { readonly type: 'album.left', readonly thread: string }
  /** `forEveryone`: the owner removed every other member before the album left this device. */
  | { readonly type: 'album.deleted', readonly thread: string, readonly forEveryone: boolean }
  | { readonly type: 'profile.got', readonly name: string | null }
  /** `albums`: how many albums the name was written to now. */
  | { readonly type: 'profile.named', readonly name: string, readonly albums: number }

type Fields = Readonly<Record<string, unknown>>
const text = (v: unknown, max: number): boolean => typeof v === 'string' && v.length > 0 && v.length <= max

/** Whether `value` is a role an invite or a role change may grant. */
export const isGrantableRole = (value: unknown): value is GrantableRole => (GRANTABLE_ROLES as readonly unknown[]).includes(value)

/** Whether `name` is a display name the ACL takes: 1–64 UTF-8 bytes, not only spaces. */
export function isDisplayName (name: unknown): name is string {
  return typeof name === 'string' && name.trim() !== '' && new TextEncoder().encode(name).byteLength <= MAX_NAME_BYTES
}

/** Whether `m` is a member as reports carry it. */
export const isMemberView = (m: unknown): boolean => typeof m === 'object' && m !== null &&
  text((m as Fields).log, 256) && (MEMBER_ROLES as readonly unknown[]).includes((m as Fields).role) &&
  typeof (m as Fields).owner === 'boolean' && typeof (m as Fields).you === 'boolean'

/** Shape checks of member requests, by type. */
export const memberRequestValidators = {
  'member.setRole': (m: Fields) => text(m.thread, 256) && text(m.member, 256) && isGrantableRole(m.role),
  'member.remove': (m: Fields) => text(m.thread, 256) && text(m.member, 256),
  'album.leave': (m: Fields) => text(m.thread, 256),
  'album.delete': (m: Fields) => text(m.thread, 256),
  'profile.get': () => true,
  'profile.setName': (m: Fields) => isDisplayName(m.name)
} as const

/** Shape checks of member replies, by type. */
export const memberReplyValidators = {
  'member.roleSet': (m: Fields) => text(m.member, 256) && isGrantableRole(m.role),
  'member.removed': (m: Fields) => text(m.member, 256),
  'album.left': (m: Fields) => text(m.thread, 256),
  'album.deleted': (m: Fields) => text(m.thread, 256) && typeof m.forEveryone === 'boolean',
  'profile.got': (m: Fields) => m.name === null || isDisplayName(m.name),
  'profile.named': (m: Fields) => isDisplayName(m.name) && Number.isSafeInteger(m.albums)
} as const

/** The reply type of each member request. */
export const MEMBER_REPLY_TYPE_OF = {
  'member.setRole': 'member.roleSet',
  'member.remove': 'member.removed',
  'album.leave': 'album.left',
  'album.delete': 'album.deleted',
  'profile.get': 'profile.got',
  'profile.setName': 'profile.named'
} as const

/**
 * Whether each member request may be sent again to a node that took over
 * (see `SAFE_TO_REPEAT`): setting a role or a name twice ends as once;
 * removing, leaving and deleting say instead that the outcome is unknown.
 */
export const MEMBER_SAFE_TO_REPEAT = {
  'member.setRole': true,
  'member.remove': false,
  'album.leave': false,
  'album.delete': false,
  'profile.get': true,
  'profile.setName': true
} as const

/** Each role in words, as people see it in the album. */
export const ROLE_WORDS: { readonly [R in MemberRole]: string } = {
  none: 'no access',
  follow: 'backup (keeps a copy, reads nothing)',
  read: 'viewer',
  write: 'contributor',
  delete: 'editor',
  admin: 'admin'
}
