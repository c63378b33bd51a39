/**
 * Invites (record format 3). An admin invites by writing an `invite` ACL
 * event naming a fresh Ed25519 invite key; the share link carries — only in
 * the URL fragment, which browsers never send to a server — the thread ID,
 * the keys of the thread's epochs the invited role needs (follow keys, and
 * read keys from role read up), the invite's secret key, the X25519 secret
 * that later rotations seal their keys to, the invite record and where to sync. The joiner proves it holds the invite key in the `join`
 * ACL event that opens its log, which depends on the invite record; members
 * and followers find the new log through heads and admit it through that
 * join. Nothing else announces a join.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { BLOCK_DECODE_LIMITS, decodeBoundedDagCbor } from '../bounded-cbor.ts'
import { base64url } from 'multiformats/bases/base64'
import { ROLES, type AclChange, type Role } from '../acl/types.ts'
import { createInvite, joinProof } from '../acl/invite-proof.ts'
import type { RandomSource } from '../crypto/random.ts'
import { ThreadsError } from '../errors.ts'
import { epochKeyId } from '../acl/epoch-keys.ts'
import { parseLogId, type LogIdentity } from '../ids/log-id.ts'
import { parseThreadId, ThreadVariant } from '../ids/thread-id.ts'
import { isCanonicalCid } from '../log/blocks.ts'
import type { Dependency } from '../log/record-format.ts'
import type { HeldEpoch } from '../storage/key-book.ts'

/** What a share link carries. */
export interface Invite {
  readonly thread: string
  readonly name?: string
  /** Multiaddrs to sync with (followers). */
  readonly addrs: readonly string[]
  /** The role the invite grants. */
  readonly role: Role
  /** The keys of the epochs that existed when the link was made (read keys only for role read and above). */
  readonly epochs: readonly HeldEpoch[]
  /** The Ed25519 seed of the invite key, whose public part the invite record names. */
  readonly secret: Uint8Array
  /** The X25519 secret key whose public part the invite record names: rotations after the link was made seal their keys to it. */
  readonly shareSecret: Uint8Array
  /** The invite record and the log that wrote it. */
  readonly via: { readonly log: string, readonly record: string }
}

/** What an invite grants and for how long. */
export interface InviteOptions {
  readonly role: Role
  /** Milliseconds since the Unix epoch after which a join through it is refused; null or absent: never. */
  readonly expires?: number | null
  /** 1: only the first join counts; null or absent: any number. */
  readonly uses?: 1 | null
  /** Where to sync, written into the link. */
  readonly addrs?: readonly string[]
}

/** A share link that cannot be read. */
export class InvalidInviteError extends ThreadsError {
  static override readonly errorName = 'InvalidInviteError'
}

/** The link format version. */
const LINK_VERSION = 3
const KEY_LENGTH = 32

const isKey = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length === KEY_LENGTH
const rank = (role: Role): number => ROLES.indexOf(role)

/** Whether a role holds read keys (read and above). */
export const roleReads = (role: Role): boolean => rank(role) >= rank('read')

/** A fresh invite key and the `invite` change that names it, for the epochs the link carries. */
export function createInviteChange (input: { readonly role: Role, readonly expires: number | null, readonly uses: 1 | null, readonly epochs: readonly HeldEpoch[], readonly random?: RandomSource }): { change: AclChange, secret: Uint8Array, shareSecret: Uint8Array } {
  if (!ROLES.includes(input.role) || input.role === 'none') throw new InvalidInviteError(`an invite grants follow, read, write, delete or admin, not ${String(input.role)}`)
  const { change, seed, x25519Secret } = createInvite({ role: input.role, keys: input.epochs.map((e) => e.keyId), expires: input.expires, uses: input.uses, random: input.random })
  return { change, secret: seed, shareSecret: x25519Secret }
}

/** The `join` change that opens `member`'s log, and the dependency on the invite record it must carry. */
export async function createJoinChange (input: { readonly invite: Invite, readonly member: LogIdentity, readonly x25519: Uint8Array, readonly time: number }): Promise<{ changes: AclChange[], deps: Dependency[] }> {
  const proof = await joinProof(input.invite.secret, input.invite.thread, input.member.logId)
  return {
    changes: [{ type: 'join', invite: input.invite.via.record, proof, x25519: input.x25519, time: input.time }],
    deps: [{ log: input.invite.via.log, record: input.invite.via.record, kind: 'acl' }]
  }
}

/** The link to `base` whose fragment carries the invite. */
export function createInviteLink (base: string, invite: Invite): string {
  const value: Record<string, unknown> = {
    v: LINK_VERSION,
    thread: invite.thread,
    addrs: [...invite.addrs],
    role: invite.role,
    epochs: invite.epochs.map((e) => e.readKey === undefined ? { epoch: e.epoch, followKey: e.followKey } : { epoch: e.epoch, followKey: e.followKey, readKey: e.readKey }),
    secret: invite.secret,
    shareSecret: invite.shareSecret,
    via: { log: invite.via.log, record: invite.via.record }
  }
  if (invite.name !== undefined) value.name = invite.name
  return `${base.split('#')[0]}#invite=${base64url.baseEncode(dagCbor.encode(value))}`
}

/** Reads the invite from a share link (or its fragment); anything else is InvalidInviteError. */
export function parseInviteLink (link: string): Invite {
  const code = /(?:^|[#&])invite=([A-Za-z0-9_-]+)/.exec(link)?.[1]
  if (code === undefined) throw new InvalidInviteError('this link carries no invite')
  let value: unknown
  try {
    value = decodeBoundedDagCbor(base64url.baseDecode(code), BLOCK_DECODE_LIMITS, 'the invite in this link')
  } catch (cause) {
    throw new InvalidInviteError('the invite in this link is damaged', { cause })
  }
  const v = value as Record<string, unknown>
  if (v === null || typeof v !== 'object' || v.v !== LINK_VERSION || typeof v.thread !== 'string' || !Array.isArray(v.addrs) || !Array.isArray(v.epochs) || v.epochs.length === 0) {
    throw new InvalidInviteError(`the invite in this link is not a version ${LINK_VERSION} invite`)
  }
  let variant: number
  try { variant = parseThreadId(v.thread).variant } catch (cause) { throw new InvalidInviteError('the invite names an invalid thread', { cause }) }
  if (variant !== ThreadVariant.AccessControlled) throw new InvalidInviteError('the invite names a thread that is not access-controlled')
  if (typeof v.role !== 'string' || !(ROLES as readonly string[]).includes(v.role) || v.role === 'none') throw new InvalidInviteError('the invite grants no valid role')
  const role = v.role as Role
  if (!isKey(v.secret)) throw new InvalidInviteError('the invite carries no valid invite key')
  if (!isKey(v.shareSecret)) throw new InvalidInviteError('the invite carries no valid key for later epochs\' shares')
  const via = v.via as Record<string, unknown> | null
  if (via === null || typeof via !== 'object' || typeof via.log !== 'string' || typeof via.record !== 'string' || !isCanonicalCid(via.record)) throw new InvalidInviteError('the invite names no valid invite record')
  try { parseLogId(via.log) } catch (cause) { throw new InvalidInviteError('the invite names an invalid inviting log', { cause }) }
  const epochs = v.epochs.map((e: Record<string, unknown> | null): HeldEpoch => {
    if (e === null || typeof e !== 'object' || !Number.isSafeInteger(e.epoch) || (e.epoch as number) < 0 || !isKey(e.followKey) || (e.readKey !== undefined && !isKey(e.readKey))) {
      throw new InvalidInviteError('the invite carries a malformed epoch key set')
    }
    const base = { keyId: epochKeyId(e.followKey), epoch: e.epoch as number, followKey: e.followKey }
    return roleReads(role) && isKey(e.readKey) ? { ...base, readKey: e.readKey } : base
  })
  if (roleReads(role) && epochs.some((e) => e.readKey === undefined)) throw new InvalidInviteError(`an invite for role ${role} must carry read keys`)
  const addrs = v.addrs.filter((a): a is string => typeof a === 'string')
  const invite: Invite = { thread: v.thread, addrs, role, epochs, secret: v.secret, shareSecret: v.shareSecret, via: { log: via.log, record: via.record } }
  return typeof v.name === 'string' ? { ...invite, name: v.name } : invite
}
