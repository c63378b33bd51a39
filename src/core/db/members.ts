/**
 * The members facet of a thread's database (docs/API.md, "Members"): who is
 * in the thread and with which role, as the ACL every replica evaluates says,
 * and the ACL events that change it. Removing a member (or lowering one
 * below read) rotates the thread's keys in the same record: a new epoch
 * whose keys are sealed (HPKE) to every remaining member, so what is written
 * after it does not open with any key the removed member held. Members who
 * receive a rotation open their share and hold the new epoch (`learnEpochs`).
 * A rotation also seals the new keys to every outstanding invite (to the
 * X25519 key its link carries), so a link made before it still lets its
 * holder join and read what is written after it; a joiner opens those shares
 * rotation by rotation while catching up. After a rotation the follower must
 * be handed the new epoch's follow key: `setRole` and `remove` say so
 * (`refollow`), and the caller sends `db.followRequest()` to its followers.
 */
import { shareHasReadKey } from '../acl/codec.ts'
import { generateEpochKeys, openShare, sealShares } from '../acl/epoch-keys.ts'
import { outstandingInvites } from '../acl/outstanding-invites.ts'
import { atLeast } from '../acl/roles.ts'
import type { AclChange, AclState, KeyShare, MemberInfo, Role } from '../acl/types.ts'
import type { RandomSource } from '../crypto/random.ts'
import { DecryptError, NotAMemberError, RoleError } from '../errors.ts'
import type { Admission } from '../log/admission.ts'
import type { Dependency } from '../log/record-format.ts'
import type { IngestResult, RecordStore } from '../log/record-store.ts'
import type { HeldEpoch, KeyBook, MemberSecrets } from '../storage/key-book.ts'
import type { Invite, InviteOptions } from '../sync/invite.ts'

/** Members removed by one record: each a role change and a dependency on its join (a record has at most 64 of each), plus one rotation. */
const REMOVALS_PER_RECORD = 32

/** Membership of one thread, and the changes a member may make to it. */
export interface Members {
  /** Every log ever admitted, with its current role and name. */
  list(): Promise<MemberInfo[]>
  /** This peer's current role ('none' until its join is admitted here). */
  role(): Promise<Role>
  /** Writes an invite ACL event and returns what the share link carries. */
  invite(options: InviteOptions): Promise<Invite>
  /** Gives `member` a new role (an admin's change); lowering below read rotates the keys in the same record. */
  setRole(member: string, role: Role): Promise<RoleChanged>
  /** Removes `member`: role none and a key rotation, in one record. */
  remove(member: string): Promise<RoleChanged>
  /** Removes every log of `members` with one key rotation (one record per 32 members): how an album is closed for everyone. */
  removeAll(members: readonly string[]): Promise<RoleChanged>
  /** This member leaves: from its next record on it has role none. An admin's database then rotates the keys (`rotateAfterLeaves`). */
  leave(): Promise<void>
  /**
   * If this member is an admin and the current epoch is held by a log whose
   * role is now none (it left, or lost its role in a record ordered after a
   * rotation that still shared to it), rotates to a new epoch sealed to the
   * remaining members and outstanding invites; returns whether it did. The
   * database calls it after ACL events arrive; followers then need the new
   * follow key (`followRequest()`).
   */
  rotateAfterLeaves(): Promise<boolean>
  /** This member's display name (at most 64 UTF-8 bytes). */
  setName(name: string): Promise<void>
  /** Calls `listener` with the member list each time it changes (an ACL event written here or received); returns `unsubscribe`. */
  onChange(listener: (members: MemberInfo[]) => void): () => void
  /** Tells listeners if the member list changed since they were last told (the database calls it after ACL events). */
  refresh(): Promise<void>
}

/** What a role change did beyond the change itself. */
export interface RoleChanged {
  /**
   * The keys were rotated: followers hold only the old epochs' follow keys and
   * would refuse what is sealed with the new one, so send each follower a new
   * `db.followRequest()` (it carries the new follow key).
   */
  readonly refollow: boolean
}

/** What the facet needs from its thread's database. */
export interface MembersDeps {
  readonly thread: string
  readonly self: MemberSecrets
  readonly records: RecordStore
  readonly keys: KeyBook
  readonly admission: Admission
  readonly writeAcl: (changes: readonly AclChange[], options?: { readonly deps?: readonly Dependency[], readonly epoch?: HeldEpoch }) => Promise<IngestResult>
  readonly invite: (options: InviteOptions) => Promise<Invite>
  /** Called after this peer holds a new epoch (so new records are sealed with it). */
  readonly epochsChanged: () => Promise<void>
  readonly random?: RandomSource
  /** The clock that decides which invites have expired (and so get no share of a rotation). */
  readonly now?: () => number
}

/** The members facet over a thread's ACL. */
export function createMembers (deps: MembersDeps): Members {
  const { thread, self, records, keys, admission } = deps
  const state = async (): Promise<Awaited<ReturnType<Admission['state']>>> => await admission.state(await keys.keyring(thread))

  /**
   * Runs the changes that rotate one at a time (a removal, and the rotation
   * after a leave that an ingest may start meanwhile): each judges the ACL,
   * numbers its epoch and seals its record after the one before has kept its keys.
   */
  let rotating: Promise<unknown> = Promise.resolve()
  const oneAtATime = <T>(task: () => Promise<T>): Promise<T> => {
    const run = rotating.then(task, task)
    rotating = run.then(() => undefined, () => undefined)
    return run
  }

  async function changeRole (member: string, role: Role): Promise<RoleChanged> {
    return await oneAtATime(async () => await changeRolesNow([member], role))
  }

  /**
   * Gives every log of `targets` `role`, in one record: one role change each
   * and, when any of them loses read keys, one rotation after them all.
   */
  async function changeRolesNow (targets: readonly string[], role: Role): Promise<RoleChanged> {
    const acl = await state()
    requireAdmin(acl, self.log, thread)
    const changes: AclChange[] = []
    const deps: Dependency[] = []
    let losesReadKeys = false
    for (const member of targets) {
      const target = acl.members().find((m) => m.log === member)
      if (target === undefined) throw new NotAMemberError(`${member} is not a member of thread ${thread}`)
      // `at`: the member's last record this peer has seen; its later records are judged under the new role.
      const at = (await records.head(thread, member))?.seq ?? 0
      changes.push({ type: 'role', member, role, at })
      losesReadKeys ||= atLeast(target.role, 'read') && !atLeast(role, 'read')
      // The change depends on the member's first record (its join), so every replica orders it after the
      // member's admission: ranked before it, a change of a member not yet admitted would be refused.
      const joined = await records.recordAt(thread, member, 1)
      if (joined !== undefined) deps.push({ log: member, record: joined, kind: 'acl' })
    }
    const rotation = losesReadKeys ? await rotate(acl, new Map(targets.map((m) => [m, role]))) : undefined
    if (rotation !== undefined) changes.push(rotation.change)
    await writeAndRefresh(changes, { deps, ...rotation?.sealing })
    if (rotation !== undefined) await rotation.keep()
    return { refollow: rotation !== undefined }
  }

  /** Removes `members` in records of at most REMOVALS_PER_RECORD each (role changes, a dependency each, and one rotation). */
  async function removeAll (members: readonly string[]): Promise<RoleChanged> {
    let refollow = false
    for (let i = 0; i < members.length; i += REMOVALS_PER_RECORD) {
      const group = members.slice(i, i + REMOVALS_PER_RECORD)
      refollow = (await oneAtATime(async () => await changeRolesNow(group, 'none'))).refollow || refollow
    }
    return { refollow }
  }

  /**
   * A rotate change to a new epoch, its keys sealed to every member whose role
   * (as `changed` sets it, in the same record) is follow or above, read keys
   * to read and above, and to each invite still outstanding then (read keys
   * only for invites of role read or above; not those a lowered member wrote
   * or joined through); `keep` stores the new keys once the record is written.
   * Its number is above every epoch's the ACL admits and the one its record
   * is sealed with (`sealing`, the newest held), as evaluation requires.
   */
  async function rotate (acl: AclState, changed: ReadonlyMap<string, Role>): Promise<{ change: AclChange, sealing: { epoch: HeldEpoch }, keep: () => Promise<void> }> {
    if (acl.current === undefined) throw new RoleError(`thread ${thread} has no current epoch to rotate`)
    const newest = (await keys.epochs(thread)).at(-1)!
    const epoch = Math.max(newest.epoch, ...acl.epochs().map((e) => e.epoch)) + 1
    const next = generateEpochKeys(deps.random)
    const recipients = acl.members().flatMap((m) => {
      const after = changed.get(m.log) ?? m.role
      return atLeast(after, 'follow') && m.x25519 !== undefined ? [{ member: m.log, role: after, x25519: m.x25519 }] : []
    })
    const invites = outstandingInvites(acl, (deps.now ?? Date.now)(), changed)
    const shares: KeyShare[] = await sealShares({
      thread, keys: next, recipients: [...recipients, ...invites.map((i) => ({ member: i.id, x25519: i.x25519, role: i.role }))], random: deps.random
    })
    return {
      change: { type: 'rotate', epoch, followKeyId: next.keyId, shares },
      sealing: { epoch: newest },
      keep: async () => {
        await keys.putEpoch(thread, { ...next, epoch })
        await deps.epochsChanged()
      }
    }
  }

  /**
   * After a leave (or anything else that leaves the current epoch held by a
   * log whose role is now none), an admin rotates: see `rotateAfterLeaves`.
   */
  async function rotateAfterLeaves (): Promise<boolean> {
    return await oneAtATime(rotateAfterLeavesNow)
  }

  async function rotateAfterLeavesNow (): Promise<boolean> {
    const acl = await state()
    const current = acl.current
    if (current === undefined || !atLeast(acl.members().find((m) => m.log === self.log)?.role ?? 'none', 'admin')) return false
    const roles = new Map(acl.members().map((m) => [m.log, m.role]))
    const gone = current.holders.filter((log) => (roles.get(log) ?? 'none') === 'none')
    // Once per such log: a rotation this node wrote that the ACL refused is not written again and again.
    if (!gone.some((log) => !rotatedFor.has(log))) return false
    // Sealed with the current epoch, whose read key this admin must hold; until it learns it, it waits.
    if ((await keys.keyring(thread)).readKey(current.keyId) === undefined) return false
    for (const log of gone) rotatedFor.add(log)
    // No dependency on the leaves: ordered before or after them, the rotation leaves the same members and
    // the same current epoch, and a receiver need not place another log's record first to take it.
    const rotation = await rotate(acl, new Map())
    await writeAndRefresh([rotation.change], rotation.sealing)
    await rotation.keep()
    return true
  }

  /** Logs this node has rotated keys away from after they lost their role (see rotateAfterLeaves). */
  const rotatedFor = new Set<string>()
  const listeners = new Set<(members: MemberInfo[]) => void>()
  let told: string | undefined
  const fingerprint = (list: readonly MemberInfo[]): string => JSON.stringify(list.map((m) => [m.log, m.role, m.owner, m.name ?? null, m.admittedBy]))
  const writeAndRefresh = async (changes: readonly AclChange[], options?: { readonly deps?: readonly Dependency[], readonly epoch?: HeldEpoch }): Promise<IngestResult> => {
    const written = await deps.writeAcl(changes, options)
    await facet.refresh()
    return written
  }

  const facet: Members = {
    list: async () => (await state()).members(),
    role: async () => (await state()).members().find((m) => m.log === self.log)?.role ?? 'none',
    invite: deps.invite,
    setRole: changeRole,
    remove: async (member) => await changeRole(member, 'none'),
    removeAll,
    leave: async () => { await writeAndRefresh([{ type: 'leave' }]) },
    rotateAfterLeaves,
    setName: async (name) => { await writeAndRefresh([{ type: 'profile', name }]) },
    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    async refresh () {
      if (listeners.size === 0) return
      const list = (await state()).members()
      const now = fingerprint(list)
      if (now === told) return
      told = now
      for (const listener of listeners) listener(list)
    }
  }
  return facet
}

/** Refuses, by name, an ACL change only an admin may make when this member is none here (every replica would refuse it). */
export function requireAdmin (acl: Awaited<ReturnType<Admission['state']>>, log: string, thread: string): void {
  const role = acl.members().find((m) => m.log === log)?.role ?? 'none'
  if (!atLeast(role, 'admin')) throw new RoleError(`this member has role ${role} in thread ${thread}; only an admin may invite or change roles`)
}

/**
 * Opens the key shares sealed to this member for epochs the ACL admits and it
 * does not hold yet, and keeps their keys; returns how many epochs were added.
 * A member who joined by a link also opens the shares sealed to its invite
 * (with the link's X25519 secret). A share that does not open is left
 * (another valid share may follow).
 */
export async function learnEpochs (deps: Pick<MembersDeps, 'thread' | 'self' | 'keys' | 'admission'>): Promise<number> {
  const { thread, self, keys, admission } = deps
  const keyring = await keys.keyring(thread)
  const acl = await admission.state(keyring)
  const recipients = [{ member: self.log, secretKey: self.x25519Secret }, ...(self.invite === undefined ? [] : [{ member: self.invite.record, secretKey: self.invite.x25519Secret }])]
  const shares = (await Promise.all(recipients.map(async (r) => (await admission.sharesFor(r.member, keyring)).map((found) => ({ ...found, ...r }))))).flat()
  let added = 0
  for (const { keyId, share, member, secretKey } of shares) {
    const epoch = acl.epoch(keyId)
    // Nothing to learn: an epoch the ACL does not admit, or one held already with all this share gives.
    if (epoch === undefined || keyring.readKey(keyId) !== undefined || (keyring.followKey(keyId) !== undefined && !shareHasReadKey(share))) continue
    try {
      const opened = await openShare({ thread, share, keyId, secretKey, log: member })
      await keys.putEpoch(thread, { ...opened, epoch: epoch.epoch })
      added++
    } catch (error) {
      if (!(error instanceof DecryptError)) throw error
    }
  }
  return added
}
