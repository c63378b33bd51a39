/**
 * The ACL body of record format 3: `{ v: 3, changes: [Change, …] }` as strict
 * canonical dag-cbor. Decoding accepts exactly one encoding of each body
 * (canonical form, exactly the fields of each change type, every value within
 * its bounds) and refuses everything else with MalformedAclError naming the
 * rule (TooLargeError before decoding for oversized bytes,
 * UnsupportedVersionError for another version). Encoding runs the same checks
 * first, so nothing this module writes could be refused by a reader.
 * Validity against the ACL state (who may do what) is evaluate.ts's job.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { publicKeyProblem } from '../crypto/ed25519.ts'
import { MalformedAclError, MalformedLogIdError, TooLargeError, UnsupportedVersionError } from '../errors.ts'
import { parseLogId } from '../ids/log-id.ts'
import { isCanonicalCid } from '../log/blocks.ts'
import { decodeCanonical } from '../log/record-format.ts'
import { ROLES, type AclBody, type AclChange, type KeyShare, type Role } from './types.ts'
import { asMap, exactFields } from '../map-shape.ts'

/** The ACL body version these modules write and read. */
export const ACL_VERSION = 3

/** Bounds of an ACL body; every one is checked before anything is evaluated. */
export const ACL_LIMITS = {
  minChanges: 1,
  maxChanges: 64,
  /** Key shares in one body, over all its rotate and share changes. */
  maxShares: 1024,
  /** Epoch key IDs one invite carries. */
  maxInviteKeys: 1024,
  /** A display name, in UTF-8 bytes. */
  maxNameBytes: 64,
  /** An encoded body (1024 shares of about 200 bytes fit well within it). */
  maxBodyBytes: 512 * 1024
} as const

/** Exact byte lengths of the fixed-size values. */
export const ACL_SIZES = {
  keyId: 16,
  nonce: 16,
  x25519: 32,
  ed25519PublicKey: 32,
  signature: 64,
  /** HPKE encapsulated key of DHKEM(X25519). */
  enc: 32,
  /** Symmetric follow and read keys. */
  symmetricKey: 32,
  /** Authentication tag of the HPKE AEAD (ChaCha20-Poly1305). */
  aeadTag: 16
} as const

/** The plaintext a share seals: dag-cbor({ followKey, readKey? }). */
export function sharePlaintext (keys: { followKey: Uint8Array, readKey?: Uint8Array | undefined }): Uint8Array {
  return dagCbor.encode(keys.readKey === undefined ? { followKey: keys.followKey } : { followKey: keys.followKey, readKey: keys.readKey })
}

const blank = new Uint8Array(ACL_SIZES.symmetricKey)
/** Ciphertext lengths of a share without and with a read key: the length alone tells which keys a share carries. */
export const SHARE_CT_LENGTH = {
  followOnly: sharePlaintext({ followKey: blank }).length + ACL_SIZES.aeadTag,
  withReadKey: sharePlaintext({ followKey: blank, readKey: blank }).length + ACL_SIZES.aeadTag
} as const

/** Whether a (well-formed) share carries a read key. */
export function shareHasReadKey (share: KeyShare): boolean {
  return share.ct.length === SHARE_CT_LENGTH.withReadKey
}

/** Change types a body may hold at most once, and the pairs it may not hold together. */
const AT_MOST_ONCE = new Set(['genesis', 'join', 'invite', 'rotate', 'leave', 'profile'])

/** Encodes an ACL body after checking it as a reader would (MalformedAclError otherwise). */
export function encodeAclBody (body: AclBody): Uint8Array {
  const value = { v: body.v, changes: body.changes.map((change) => ({ ...change })) }
  parseAclBody(value)
  const bytes = dagCbor.encode(value)
  if (bytes.length > ACL_LIMITS.maxBodyBytes) throw new TooLargeError(`ACL body is ${bytes.length} bytes; the limit is ${ACL_LIMITS.maxBodyBytes}`)
  return bytes
}

/** Decodes and checks an ACL body from its bytes. */
export function decodeAclBody (bytes: Uint8Array): AclBody {
  if (bytes.length > ACL_LIMITS.maxBodyBytes) throw new TooLargeError(`ACL body is ${bytes.length} bytes; the limit is ${ACL_LIMITS.maxBodyBytes}`)
  let value: unknown
  try {
    value = decodeCanonical(bytes, 'ACL body')
  } catch (cause) {
    throw new MalformedAclError((cause as Error).message, { cause })
  }
  return parseAclBody(value)
}

/** Checks the shape of a decoded ACL body (see the module comment). */
export function parseAclBody (value: unknown): AclBody {
  const body = asMap(value, 'ACL body', MalformedAclError)
  if (body.v !== ACL_VERSION) throw new UnsupportedVersionError(`ACL body has version ${String(body.v).slice(0, 20)}; this reader knows version ${ACL_VERSION} only`)
  exactFields(body, ['v', 'changes'], 'ACL body', MalformedAclError)
  if (!Array.isArray(body.changes)) throw new MalformedAclError('ACL body field "changes" must be a list')
  const count = body.changes.length
  if (count < ACL_LIMITS.minChanges || count > ACL_LIMITS.maxChanges) {
    throw new MalformedAclError(`ACL body has ${count} changes; it must have ${ACL_LIMITS.minChanges} to ${ACL_LIMITS.maxChanges}`)
  }
  const changes = body.changes.map((raw, i) => parseChange(raw, `change ${i}`))
  checkCombination(changes)
  return { v: ACL_VERSION, changes }
}

function checkCombination (changes: readonly AclChange[]): void {
  const seen = new Set<string>()
  let shares = 0
  for (const change of changes) {
    if (AT_MOST_ONCE.has(change.type) && seen.has(change.type)) throw new MalformedAclError(`ACL body holds more than one ${change.type} change`)
    seen.add(change.type)
    if (change.type === 'rotate' || change.type === 'share') shares += change.shares.length
  }
  if (seen.has('genesis') && seen.has('join')) throw new MalformedAclError('ACL body holds both a genesis and a join change')
  if (shares > ACL_LIMITS.maxShares) throw new MalformedAclError(`ACL body holds ${shares} key shares; at most ${ACL_LIMITS.maxShares} are allowed`)
}

const CHANGE_FIELDS: Record<AclChange['type'], readonly string[]> = {
  genesis: ['type', 'nonce', 'followKeyId', 'x25519'],
  invite: ['type', 'key', 'role', 'expires', 'uses', 'keys', 'x25519'],
  join: ['type', 'invite', 'proof', 'x25519', 'time'],
  role: ['type', 'member', 'role', 'at'],
  leave: ['type'],
  rotate: ['type', 'epoch', 'followKeyId', 'shares'],
  share: ['type', 'key', 'shares'],
  profile: ['type', 'name']
}

function parseChange (value: unknown, what: string): AclChange {
  const change = asMap(value, what, MalformedAclError)
  const type = change.type
  if (typeof type !== 'string' || !Object.hasOwn(CHANGE_FIELDS, type)) {
    throw new MalformedAclError(`${what} has unknown type ${JSON.stringify(String(type).slice(0, 20))}`)
  }
  exactFields(change, CHANGE_FIELDS[type as AclChange['type']], `${what} (${type})`, MalformedAclError)
  const at = `${what} (${type})`
  switch (type as AclChange['type']) {
    case 'genesis':
      return { type: 'genesis', nonce: bytes(change.nonce, ACL_SIZES.nonce, `${at} field "nonce"`), followKeyId: bytes(change.followKeyId, ACL_SIZES.keyId, `${at} field "followKeyId"`), x25519: bytes(change.x25519, ACL_SIZES.x25519, `${at} field "x25519"`) }
    case 'invite':
      return {
        type: 'invite',
        key: ed25519Key(change.key, `${at} field "key"`),
        role: role(change.role, `${at} field "role"`),
        expires: change.expires === null ? null : integer(change.expires, 0, `${at} field "expires"`),
        uses: uses(change.uses, `${at} field "uses"`),
        keys: keyIdList(change.keys, `${at} field "keys"`),
        x25519: bytes(change.x25519, ACL_SIZES.x25519, `${at} field "x25519"`)
      }
    case 'join':
      return { type: 'join', invite: cidText(change.invite, `${at} field "invite"`), proof: bytes(change.proof, ACL_SIZES.signature, `${at} field "proof"`), x25519: bytes(change.x25519, ACL_SIZES.x25519, `${at} field "x25519"`), time: integer(change.time, 0, `${at} field "time"`) }
    case 'role':
      return { type: 'role', member: logId(change.member, `${at} field "member"`), role: role(change.role, `${at} field "role"`), at: integer(change.at, 1, `${at} field "at"`) }
    case 'leave':
      return { type: 'leave' }
    case 'rotate':
      return { type: 'rotate', epoch: integer(change.epoch, 1, `${at} field "epoch"`), followKeyId: bytes(change.followKeyId, ACL_SIZES.keyId, `${at} field "followKeyId"`), shares: shareList(change.shares, `${at} field "shares"`) }
    case 'share':
      return { type: 'share', key: bytes(change.key, ACL_SIZES.keyId, `${at} field "key"`), shares: shareList(change.shares, `${at} field "shares"`) }
    case 'profile':
      return { type: 'profile', name: name(change.name, `${at} field "name"`) }
  }
}

function shareList (value: unknown, what: string): KeyShare[] {
  if (!Array.isArray(value)) throw new MalformedAclError(`${what} must be a list`)
  if (value.length > ACL_LIMITS.maxShares) throw new MalformedAclError(`${what} has ${value.length} shares; at most ${ACL_LIMITS.maxShares} are allowed`)
  const members = new Set<string>()
  return value.map((raw, i) => {
    const share = asMap(raw, `${what} item ${i}`, MalformedAclError)
    exactFields(share, ['member', 'enc', 'ct'], `${what} item ${i}`, MalformedAclError)
    const member = shareMember(share.member, `${what} item ${i} field "member"`)
    if (members.has(member)) throw new MalformedAclError(`${what} seals keys to ${member} twice`)
    members.add(member)
    const ct = share.ct
    if (!(ct instanceof Uint8Array) || (ct.length !== SHARE_CT_LENGTH.followOnly && ct.length !== SHARE_CT_LENGTH.withReadKey)) {
      throw new MalformedAclError(`${what} item ${i} field "ct" must be ${SHARE_CT_LENGTH.followOnly} bytes (follow key) or ${SHARE_CT_LENGTH.withReadKey} (follow and read keys)`)
    }
    return { member, enc: bytes(share.enc, ACL_SIZES.enc, `${what} item ${i} field "enc"`), ct }
  })
}

function keyIdList (value: unknown, what: string): Uint8Array[] {
  if (!Array.isArray(value)) throw new MalformedAclError(`${what} must be a list`)
  if (value.length > ACL_LIMITS.maxInviteKeys) throw new MalformedAclError(`${what} has ${value.length} key IDs; at most ${ACL_LIMITS.maxInviteKeys} are allowed`)
  const seen = new Set<string>()
  return value.map((raw, i) => {
    const id = bytes(raw, ACL_SIZES.keyId, `${what} item ${i}`)
    const text = id.join(',')
    if (seen.has(text)) throw new MalformedAclError(`${what} names one key ID twice`)
    seen.add(text)
    return id
  })
}

function bytes (value: unknown, length: number, what: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) throw new MalformedAclError(`${what} must be ${length} bytes`)
  return value
}

function ed25519Key (value: unknown, what: string): Uint8Array {
  const key = bytes(value, ACL_SIZES.ed25519PublicKey, what)
  const problem = publicKeyProblem(key)
  if (problem !== undefined) throw new MalformedAclError(`${what}: ${problem}`)
  return key
}

function integer (value: unknown, min: number, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < min) throw new MalformedAclError(`${what} must be an integer from ${min} to 2^53 − 1`)
  return value as number
}

function uses (value: unknown, what: string): 1 | null {
  if (value !== null && value !== 1) throw new MalformedAclError(`${what} must be 1 or null`)
  return value
}

function role (value: unknown, what: string): Role {
  if (typeof value !== 'string' || !(ROLES as readonly string[]).includes(value)) throw new MalformedAclError(`${what} must be one of ${ROLES.join(', ')}`)
  return value as Role
}

function name (value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || utf8ToBytes(value).length > ACL_LIMITS.maxNameBytes) {
    throw new MalformedAclError(`${what} must be text of 1 to ${ACL_LIMITS.maxNameBytes} UTF-8 bytes`)
  }
  return value
}

function cidText (value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length > 128 || !isCanonicalCid(value)) throw new MalformedAclError(`${what} must be a record ID: a canonical base32 CIDv1 of dag-cbor with sha2-256`)
  return value
}

/** A share's recipient: a member's log ID, or the record ID of an invite whose link holder the keys are for. */
function shareMember (value: unknown, what: string): string {
  if (typeof value === 'string' && value.length <= 128 && isCanonicalCid(value)) return value
  return logId(value, `${what} (a log ID or an invite's record ID)`)
}

function logId (value: unknown, what: string): string {
  try {
    parseLogId(value)
  } catch (cause) {
    if (cause instanceof MalformedLogIdError) throw new MalformedAclError(`${what} is not a log ID: ${cause.message}`, { cause })
    throw cause
  }
  return value as string
}

