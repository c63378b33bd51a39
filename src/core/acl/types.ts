/**
 * The access-control list of a thread as data (record format 3): the changes
 * ACL events carry, and the state every replica computes from them. The full
 * rules are in docs/PROTOCOL.md ("Access control"). Pure types only.
 */

/** Roles in order; each includes those before it. The owner is an admin nobody else can demote. */
export const ROLES = ['none', 'follow', 'read', 'write', 'delete', 'admin'] as const
export type Role = typeof ROLES[number]

/** A 16-byte epoch key ID (see `epochKeyId`). */
export type KeyId = Uint8Array

/** One epoch's keys as a member holds them. */
export interface EpochKeys {
  readonly keyId: KeyId
  readonly followKey: Uint8Array
  /** Absent for members below `read` (and for followers). */
  readonly readKey?: Uint8Array
}

/** An epoch key set sealed to one member with HPKE. */
export interface KeyShare {
  /** The recipient: a member's log ID, or an outstanding invite's record ID (for whoever holds its link). */
  readonly member: string
  /** HPKE encapsulated key. */
  readonly enc: Uint8Array
  /** HPKE ciphertext of dag-cbor({ followKey, readKey? }). */
  readonly ct: Uint8Array
}

export type AclChange =
  | { readonly type: 'genesis', readonly nonce: Uint8Array, readonly followKeyId: KeyId, readonly x25519: Uint8Array }
  | { readonly type: 'invite', readonly key: Uint8Array, readonly role: Role, readonly expires: number | null, readonly uses: 1 | null, readonly keys: readonly KeyId[], readonly x25519: Uint8Array }
  | { readonly type: 'join', readonly invite: string, readonly proof: Uint8Array, readonly x25519: Uint8Array, readonly time: number }
  | { readonly type: 'role', readonly member: string, readonly role: Role, readonly at: number }
  | { readonly type: 'leave' }
  | { readonly type: 'rotate', readonly epoch: number, readonly followKeyId: KeyId, readonly shares: readonly KeyShare[] }
  | { readonly type: 'share', readonly key: KeyId, readonly shares: readonly KeyShare[] }
  | { readonly type: 'profile', readonly name: string }

/** The body of an ACL record. */
export interface AclBody {
  readonly v: 3
  readonly changes: readonly AclChange[]
}

/** An ACL event as evaluation needs it: where it sits, what it depends on, what it says. */
export interface AclEvent {
  /** Record ID (canonical CID text). */
  readonly id: string
  readonly log: string
  readonly seq: number
  /** Record IDs of the ACL events this one depends on (its `prev` when that is an ACL event, and its acl deps). */
  readonly after: readonly string[]
  /** The epoch key ID that sealed the record. */
  readonly key: KeyId
  readonly body: AclBody
}

/** Why an ACL event changed nothing: a stable code to match on, and words for people. */
export type AclRefusalCode =
  | 'duplicate-position' | 'not-first-record' | 'thread-mismatch' | 'already-owned' | 'wrong-epoch-key'
  | 'unknown-epoch' | 'not-member' | 'role-too-low' | 'owner-immutable' | 'invite-unknown' | 'invite-not-in-deps'
  | 'invite-revoked' | 'invite-exhausted' | 'invite-expired' | 'bad-proof' | 'already-member' | 'invite-role'
  | 'rotate-required' | 'epoch-exists' | 'epoch-number' | 'share-to-nonmember' | 'read-key-below-read' | 'share-to-spent-invite'

/** Why an ACL event changed nothing. */
export interface AclRefusal {
  readonly id: string
  /** Index of the change that broke a rule (the whole event is refused). */
  readonly change: number
  readonly code: AclRefusalCode
  readonly reason: string
}

export interface EpochInfo {
  readonly keyId: KeyId
  /** 0 for the genesis epoch; a rotate's number otherwise (for display and ordering). */
  readonly epoch: number
  readonly followKeyId: KeyId
  /** Record ID of the genesis or rotate that created it. */
  readonly createdBy: string
  /** Logs known to hold the epoch's keys: its creator, share recipients, and joiners whose invite carried it (sorted). */
  readonly holders: readonly string[]
}

/** From `fromSeq` on (until the next segment), a log's records are judged under `role`. */
export interface RoleSegment {
  readonly fromSeq: number
  readonly role: Role
  /** Record ID of the event that set it (genesis, join, role or leave). */
  readonly by: string
}

/** An invite as the ACL holds it. */
export interface InviteInfo {
  /** Record ID of the invite. */
  readonly id: string
  readonly by: string
  readonly key: Uint8Array
  readonly role: Role
  readonly expires: number | null
  readonly uses: 1 | null
  readonly keys: readonly KeyId[]
  /** The X25519 public key whose secret the link carries: later epochs' keys are sealed to it. */
  readonly x25519: Uint8Array
  /** Key IDs of later epochs whose keys were sealed to the invite (by rotates), in ACL order. */
  readonly sharedKeys: readonly KeyId[]
  /** Logs admitted through it, in ACL order. */
  readonly usedBy: readonly string[]
}

export interface MemberInfo {
  readonly log: string
  /** Current role (for the log's next record). */
  readonly role: Role
  readonly owner: boolean
  readonly name?: string
  readonly x25519?: Uint8Array
  /** Record ID of the join or genesis that admitted the log. */
  readonly admittedBy: string
}

/** Membership as computed from a set of ACL events. */
export interface AclState {
  readonly thread: string
  readonly owner: string | undefined
  /** The role of `log`'s record at `seq` (none when the log is not a member there). */
  roleAt(log: string, seq: number): Role
  /** The role segments of `log`, in order of `fromSeq` (empty for a log never admitted). */
  segments(log: string): readonly RoleSegment[]
  /** Every log ever admitted (current members and those who left or were removed), sorted by log ID. */
  members(): MemberInfo[]
  /** The epoch keys are admitted for records of this thread; undefined when not. */
  epoch(keyId: KeyId): EpochInfo | undefined
  /** Every admitted epoch, in ACL order. */
  epochs(): EpochInfo[]
  /** The epoch new records are sealed with. */
  readonly current: EpochInfo | undefined
  /** A valid invite by its record ID. */
  invite(id: string): InviteInfo | undefined
  /** Every valid invite, in ACL order. */
  invites(): InviteInfo[]
  /** Record IDs of the events applied or refused, in ACL order. */
  readonly order: readonly string[]
  /** Events (and changes) that were refused, with reasons, in ACL order. */
  readonly refused: readonly AclRefusal[]
  /** Record IDs of events not evaluated because something they come after is missing (sorted); they may apply later. */
  readonly pending: readonly string[]
}
