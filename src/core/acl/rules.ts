/**
 * The validity rule of each ACL change. A check reads the state built so far
 * and what the event's earlier changes did (its overlay), and either refuses
 * with a code and reason or queues its effect; evaluate.ts applies an event's
 * effects only when every change passes.
 */
import { equalBytes } from './epoch-keys.ts'
import { shareHasReadKey } from './codec.ts'
import { threadIdForGenesis } from './genesis.ts'
import { verifyJoinProofSync } from './invite-proof.ts'
import { atLeast } from './roles.ts'
import { keyIdText, type MutableAclState } from './state.ts'
import type { AclChange, AclEvent, AclRefusalCode, KeyId, KeyShare, Role } from './types.ts'

/** What the checks of one event share. */
export interface ChangeContext {
  readonly state: MutableAclState
  readonly event: AclEvent
  /** The author's role at the event's seq (a genesis or join in the event sets it). */
  authorRole: Role
  /** Current roles as the event's earlier changes left them. */
  readonly roles: Map<string, Role>
  /** Key IDs (hex) of epochs the event's earlier changes created. */
  readonly newEpochs: Set<string>
  readonly effects: Array<() => void>
}

/** Why a change is refused. */
export interface Refusal {
  readonly code: AclRefusalCode
  readonly reason: string
}

const refuse = (code: AclRefusalCode, reason: string): Refusal => ({ code, reason })

const roleOf = (ctx: ChangeContext, log: string): Role => ctx.roles.get(log) ?? ctx.state.currentRole(log)
const isMember = (ctx: ChangeContext, log: string): boolean => ctx.state.members.has(log) || ctx.roles.has(log)
const epochKnown = (ctx: ChangeContext, keyId: KeyId): boolean => ctx.state.epoch(keyId) !== undefined || ctx.newEpochs.has(keyIdText(keyId))

/** Checks one change; undefined when it passes (its effect is then queued). */
export function checkChange (ctx: ChangeContext, change: AclChange, index: number): Refusal | undefined {
  switch (change.type) {
    case 'genesis': return checkGenesis(ctx, change)
    case 'invite': return checkInvite(ctx, change)
    case 'join': return checkJoin(ctx, change)
    case 'role': return checkRole(ctx, change, index)
    case 'leave': return checkLeave(ctx)
    case 'rotate': return checkRotate(ctx, change)
    case 'share': return checkShare(ctx, change)
    case 'profile': return checkProfile(ctx, change)
  }
}

function checkGenesis (ctx: ChangeContext, change: Extract<AclChange, { type: 'genesis' }>): Refusal | undefined {
  const { state, event } = ctx
  if (event.seq !== 1) return refuse('not-first-record', 'a genesis must be its log\'s first record')
  if (state.owner !== undefined) return refuse('already-owned', `the thread already has its owner ${state.owner}`)
  if (threadIdForGenesis(event.log, change.nonce).toString() !== state.thread) return refuse('thread-mismatch', 'the thread ID is not the hash of this owner and nonce')
  if (!equalBytes(event.key, change.followKeyId)) return refuse('wrong-epoch-key', 'a genesis must be sealed with the genesis epoch it creates')
  ctx.authorRole = 'admin'
  ctx.roles.set(event.log, 'admin')
  ctx.newEpochs.add(keyIdText(change.followKeyId))
  ctx.effects.push(() => {
    state.owner = event.log
    state.members.set(event.log, { log: event.log, owner: true, admittedBy: event.id, segments: [{ fromSeq: 1, role: 'admin', by: event.id, leave: false }], x25519: change.x25519 })
    state.addEpoch({ keyId: change.followKeyId, epoch: 0, createdBy: event.id, holders: new Set([event.log]) })
  })
  return undefined
}

function checkInvite (ctx: ChangeContext, change: Extract<AclChange, { type: 'invite' }>): Refusal | undefined {
  if (!atLeast(ctx.authorRole, 'admin')) return refuse('role-too-low', `only an admin may invite; the author is ${ctx.authorRole}`)
  if (!atLeast(change.role, 'follow')) return refuse('invite-role', 'an invite grants a role from follow to admin')
  if (!change.keys.every((k) => epochKnown(ctx, k))) return refuse('unknown-epoch', 'the invite carries keys of an epoch the ACL does not admit')
  const { event, state } = ctx
  ctx.effects.push(() => {
    state.invites.set(event.id, { id: event.id, by: event.log, key: change.key, role: change.role, expires: change.expires, uses: change.uses, keys: change.keys, x25519: change.x25519, sharedKeys: [], usedBy: [] })
  })
  return undefined
}

function checkJoin (ctx: ChangeContext, change: Extract<AclChange, { type: 'join' }>): Refusal | undefined {
  const { state, event } = ctx
  if (event.seq !== 1) return refuse('not-first-record', 'a join must be its log\'s first record')
  if (isMember(ctx, event.log)) return refuse('already-member', 'the log is already a member')
  if (!event.after.includes(change.invite)) return refuse('invite-not-in-deps', 'a join must depend on its invite record')
  const invite = state.invites.get(change.invite)
  if (invite === undefined) return refuse('invite-unknown', 'the join names no valid invite')
  if (!atLeast(state.currentRole(invite.by), 'admin')) return refuse('invite-revoked', `the invite's author ${invite.by} is no longer an admin`)
  if (invite.uses === 1 && invite.usedBy.length > 0) return refuse('invite-exhausted', `the single-use invite was used by ${invite.usedBy[0]!}`)
  if (invite.expires !== null && change.time > invite.expires) return refuse('invite-expired', `the join's time ${change.time} is after the invite's expiry ${invite.expires}`)
  if (!verifyJoinProofSync(invite.key, change.proof, state.thread, event.log)) return refuse('bad-proof', 'the join proof does not verify with the invite key')
  ctx.authorRole = invite.role
  ctx.roles.set(event.log, invite.role)
  ctx.effects.push(() => {
    state.members.set(event.log, { log: event.log, owner: false, admittedBy: event.id, segments: [{ fromSeq: 1, role: invite.role, by: event.id, leave: false }], x25519: change.x25519 })
    invite.usedBy.push(event.log)
    for (const keyId of [...invite.keys, ...invite.sharedKeys]) state.epoch(keyId)?.holders.add(event.log)
  })
  return undefined
}

function checkRole (ctx: ChangeContext, change: Extract<AclChange, { type: 'role' }>, index: number): Refusal | undefined {
  const { state, event } = ctx
  if (!atLeast(ctx.authorRole, 'admin')) return refuse('role-too-low', `only an admin may change roles; the author is ${ctx.authorRole}`)
  if (change.member === state.owner) return refuse('owner-immutable', 'nobody can change the owner\'s role')
  if (!isMember(ctx, change.member)) return refuse('not-member', `${change.member} was never admitted`)
  const before = maxRoleFrom(ctx, change.member, change.at + 1)
  if (atLeast(before, 'read') && !atLeast(change.role, 'read') && !event.body.changes.slice(index + 1).some((c) => c.type === 'rotate')) {
    return refuse('rotate-required', 'lowering a member below read needs a rotate later in the same record')
  }
  ctx.roles.set(change.member, change.role)
  ctx.effects.push(() => state.setRole(change.member, change.at + 1, change.role, event.id))
  return undefined
}

/**
 * The higher of `log`'s role at `seq` and its current role (counting the
 * event's earlier changes): if either is read or above, the member holds read
 * keys a lowering must rotate away. A segment between them that was read or
 * above was itself lowered later, with its own rotate.
 */
function maxRoleFrom (ctx: ChangeContext, log: string, seq: number): Role {
  const current = roleOf(ctx, log)
  const then = ctx.state.roleAt(log, seq)
  return atLeast(current, then) ? current : then
}

function checkLeave (ctx: ChangeContext): Refusal | undefined {
  const { state, event } = ctx
  if (event.log === state.owner) return refuse('owner-immutable', 'the owner cannot leave its thread')
  if (ctx.authorRole === 'none') return refuse('not-member', 'only a member can leave')
  ctx.roles.set(event.log, 'none')
  ctx.effects.push(() => state.setRole(event.log, event.seq + 1, 'none', event.id, true))
  return undefined
}

function checkRotate (ctx: ChangeContext, change: Extract<AclChange, { type: 'rotate' }>): Refusal | undefined {
  const { state, event } = ctx
  if (!atLeast(ctx.authorRole, 'admin')) return refuse('role-too-low', `only an admin may rotate; the author is ${ctx.authorRole}`)
  if (epochKnown(ctx, change.followKeyId)) return refuse('epoch-exists', 'the rotate names an epoch that already exists')
  const sealedWith = state.epoch(event.key)?.epoch ?? 0
  if (change.epoch <= sealedWith) return refuse('epoch-number', `the new epoch's number ${change.epoch} is not above that of the epoch its record is sealed with (${sealedWith})`)
  const shares = checkShares(ctx, change.shares)
  if (shares !== undefined) return shares
  ctx.newEpochs.add(keyIdText(change.followKeyId))
  ctx.effects.push(() => {
    state.addEpoch({ keyId: change.followKeyId, epoch: change.epoch, createdBy: event.id, holders: new Set([event.log]) })
    noteShares(state, change.followKeyId, change.shares)
  })
  return undefined
}

function checkShare (ctx: ChangeContext, change: Extract<AclChange, { type: 'share' }>): Refusal | undefined {
  if (!atLeast(ctx.authorRole, 'read')) return refuse('role-too-low', `sharing epoch keys needs role read; the author is ${ctx.authorRole}`)
  if (!epochKnown(ctx, change.key)) return refuse('unknown-epoch', 'the share names an epoch the ACL does not admit')
  const shares = checkShares(ctx, change.shares)
  if (shares !== undefined) return shares
  const { state } = ctx
  // An epoch created earlier in the same event exists once that change's effect has run, before this one.
  ctx.effects.push(() => { noteShares(state, change.key, change.shares) })
  return undefined
}

/** Records who received an epoch's keys: members become holders; an invite keeps the key ID for whoever joins through it. */
function noteShares (state: MutableAclState, keyId: KeyId, shares: readonly KeyShare[]): void {
  const holders = state.epoch(keyId)!.holders
  for (const share of shares) {
    const invite = state.invites.get(share.member)
    if (invite === undefined) holders.add(share.member)
    else {
      invite.sharedKeys.push(keyId)
      for (const log of invite.usedBy) holders.add(log)
    }
  }
}

/**
 * Keys go to members of role follow or above, read keys to role read or
 * above. A share to an invite (its record ID) is for whoever joins through
 * it: valid only while the invite is outstanding (its author still an admin,
 * not a used single-use invite, and nobody who joined through it now below
 * its role: that member holds the link), with a read key only if the invite grants
 * read or above. Expiry is the sharing author's judgement by its own clock
 * (evaluation has none); a join after expiry is refused anyway.
 */
function checkShares (ctx: ChangeContext, shares: readonly KeyShare[]): Refusal | undefined {
  for (const share of shares) {
    const invite = ctx.state.invites.get(share.member)
    if (invite !== undefined) {
      if (!atLeast(roleOf(ctx, invite.by), 'admin')) return refuse('share-to-spent-invite', `keys are shared to invite ${share.member}, whose author ${invite.by} is no longer an admin`)
      if (invite.uses === 1 && invite.usedBy.length > 0) return refuse('share-to-spent-invite', `keys are shared to the single-use invite ${share.member}, used by ${invite.usedBy[0]!}`)
      const demoted = invite.usedBy.find((log) => !atLeast(roleOf(ctx, log), invite.role))
      if (demoted !== undefined) return refuse('share-to-spent-invite', `keys are shared to invite ${share.member}, whose link ${demoted} holds with a role now below the invite's`)
      if (shareHasReadKey(share) && !atLeast(invite.role, 'read')) return refuse('read-key-below-read', `a read key is shared to invite ${share.member}, which grants ${invite.role}`)
      continue
    }
    const role = roleOf(ctx, share.member)
    if (!atLeast(role, 'follow')) return refuse('share-to-nonmember', `keys are shared to ${share.member}, whose role is ${role}`)
    if (shareHasReadKey(share) && !atLeast(role, 'read')) return refuse('read-key-below-read', `a read key is shared to ${share.member}, whose role is ${role}`)
  }
  return undefined
}

function checkProfile (ctx: ChangeContext, change: Extract<AclChange, { type: 'profile' }>): Refusal | undefined {
  if (!atLeast(ctx.authorRole, 'follow')) return refuse('not-member', 'only a member can set its name')
  const { state, event } = ctx
  ctx.effects.push(() => {
    state.members.get(event.log)!.name = change.name
  })
  return undefined
}
