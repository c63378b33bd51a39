import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { ACL_LIMITS, decodeAclBody, encodeAclBody, SHARE_CT_LENGTH } from '../../../src/core/acl/codec.ts'
import type { AclBody, AclChange } from '../../../src/core/acl/types.ts'
import { deterministicRandom } from '../../../src/core/crypto/random.ts'
import { generateLogIdentity } from '../../../src/core/ids/log-id.ts'
import { cidOf, cidToString } from '../../../src/core/log/blocks.ts'

const random = deterministicRandom('acl-codec')
const member = generateLogIdentity(random).logId
const inviteKey = generateLogIdentity(random).publicKey
const recordId = cidToString(cidOf(dagCbor.encode({ a: 1 })))
const share = { member, enc: random(32), ct: random(SHARE_CT_LENGTH.withReadKey) }

/** One change of every type, each field at a valid value. */
const every = {
  genesis: { type: 'genesis', nonce: random(16), followKeyId: random(16), x25519: random(32) },
  invite: { type: 'invite', key: inviteKey, role: 'write', expires: 1_700_000_000_000, uses: 1, keys: [random(16), random(16)], x25519: random(32) },
  join: { type: 'join', invite: recordId, proof: random(64), x25519: random(32), time: 12 },
  role: { type: 'role', member, role: 'read', at: 3 },
  leave: { type: 'leave' },
  rotate: { type: 'rotate', epoch: 2, followKeyId: random(16), shares: [share, { member: recordId, enc: random(32), ct: random(SHARE_CT_LENGTH.followOnly) }] },
  share: { type: 'share', key: random(16), shares: [{ member, enc: random(32), ct: random(SHARE_CT_LENGTH.followOnly) }] },
  profile: { type: 'profile', name: 'Ana 🌿' }
} satisfies Record<AclChange['type'], AclChange>

const body = (...changes: AclChange[]): AclBody => ({ v: 3, changes })
/** Encodes any value as dag-cbor, bypassing the body checks, as a hostile peer would. */
const raw = (value: unknown): Uint8Array => dagCbor.encode(value)
const withField = (type: keyof typeof every, field: string, value: unknown): Uint8Array =>
  raw({ v: 3, changes: [{ ...every[type], [field]: value }] })

/** { v: 3, changes: [leave] } with v written as 0x18 0x03 instead of 0x03. */
function nonShortest (): Uint8Array {
  const bytes = raw({ v: 3, changes: [every.leave] })
  return new Uint8Array([...bytes.subarray(0, 3), 0x18, ...bytes.subarray(3)])
}

describe('ACL body codec', () => {
  it('round-trips every change type, alone and together', () => {
    for (const change of Object.values(every)) {
      expect(decodeAclBody(encodeAclBody(body(change)))).toEqual(body(change))
    }
    const mixed = body(every.role, every.rotate, every.share, every.profile)
    expect(decodeAclBody(encodeAclBody(mixed))).toEqual(mixed)
    const open = body({ ...every.invite, expires: null, uses: null, keys: [] }, every.leave)
    expect(decodeAclBody(encodeAclBody(open))).toEqual(open)
  })

  const malformed: Array<[string, Uint8Array, RegExp]> = [
    ['not CBOR', new Uint8Array([0xff, 0x00]), /not valid dag-cbor/],
    ['an integer not in its shortest form', nonShortest(), /dag-cbor/],
    ['a list instead of a map', raw([3]), /must be a map/],
    ['extra body field', raw({ v: 3, changes: [every.leave], x: 1 }), /unknown fields: x/],
    ['missing changes', raw({ v: 3 }), /lacks fields: changes/],
    ['no changes', raw({ v: 3, changes: [] }), /0 changes/],
    ['65 changes', raw({ v: 3, changes: Array.from({ length: 65 }, () => every.role) }), /65 changes/],
    ['unknown type', raw({ v: 3, changes: [{ type: 'kick' }] }), /unknown type "kick"/],
    ['extra change field', withField('leave', 'why', 'bored'), /unknown fields: why/],
    ['missing change field', raw({ v: 3, changes: [{ type: 'role', member, role: 'read' }] }), /lacks fields: at/],
    ['short nonce', withField('genesis', 'nonce', random(15)), /"nonce" must be 16 bytes/],
    ['long key ID', withField('genesis', 'followKeyId', random(17)), /"followKeyId" must be 16 bytes/],
    ['short x25519 key', withField('join', 'x25519', random(31)), /"x25519" must be 32 bytes/],
    ['short proof', withField('join', 'proof', random(63)), /"proof" must be 64 bytes/],
    ['invite key off the curve', withField('invite', 'key', new Uint8Array(32).fill(0xff)), /"key"/],
    ['unknown role', withField('role', 'role', 'owner'), /must be one of none, follow/],
    ['uses 2', withField('invite', 'uses', 2), /"uses" must be 1 or null/],
    ['negative expiry', withField('invite', 'expires', -1), /"expires" must be an integer/],
    ['fractional time', withField('join', 'time', 1.5), /"time" must be an integer/],
    ['integer above 2^53 − 1', withField('join', 'time', 2n ** 53n), /"time" must be an integer/],
    ['at 0', withField('role', 'at', 0), /"at" must be an integer from 1/],
    ['epoch 0', withField('rotate', 'epoch', 0), /"epoch" must be an integer from 1/],
    ['member not a log ID', withField('role', 'member', 'alice'), /"member" is not a log ID/],
    ['non-canonical record ID', withField('join', 'invite', recordId.toUpperCase()), /"invite" must be a record ID/],
    ['record ID as a link', withField('join', 'invite', cidOf(dagCbor.encode(1))), /"invite" must be a record ID/],
    ['empty name', withField('profile', 'name', ''), /1 to 64 UTF-8 bytes/],
    ['65-byte name', withField('profile', 'name', 'é'.repeat(32) + 'a'), /1 to 64 UTF-8 bytes/],
    ['duplicate invite key ID', withField('invite', 'keys', [new Uint8Array(16), new Uint8Array(16)]), /one key ID twice/],
    ['two shares to one member', withField('rotate', 'shares', [share, share]), /to .* twice/],
    ['share ct of another length', withField('rotate', 'shares', [{ ...share, ct: random(50) }]), /"ct" must be/],
    ['share to something neither a log nor a record', withField('rotate', 'shares', [{ ...share, member: 'bafy-not-a-cid' }]), /a log ID or an invite's record ID/],
    ['invite without its X25519 key', withField('invite', 'x25519', random(31)), /"x25519" must be 32 bytes/],
    ['share with extra field', withField('rotate', 'shares', [{ ...share, readKey: random(32) }]), /unknown fields: readKey/],
    ['two genesis changes', raw(body(every.genesis, every.genesis)), /more than one genesis/],
    ['two invites', raw(body(every.invite, every.invite)), /more than one invite/],
    ['genesis with join', raw(body(every.genesis, every.join)), /both a genesis and a join/],
    ['more than 1024 shares', raw(body(...Array.from({ length: 2 }, () => ({ ...every.share, shares: Array.from({ length: 513 }, () => share) })))), /shares/]
  ]

  it.each(malformed)('refuses %s with MalformedAclError', (_, bytes, message) => {
    expect(() => decodeAclBody(bytes)).toThrow(expect.objectContaining({ name: 'MalformedAclError', message: expect.stringMatching(message) }))
  })

  it('refuses non-canonical encodings of a valid body', () => {
    const bytes = encodeAclBody(body(every.leave))
    // The same map with its two keys swapped is valid CBOR but not dag-cbor's order.
    const swapped = raw({ changes: [every.leave] })
    const reordered = new Uint8Array([0xa2, ...swapped.subarray(1), ...raw({ v: 3 }).subarray(1)])
    expect(decodeAclBody(bytes)).toEqual(body(every.leave))
    expect(() => decodeAclBody(reordered)).toThrow(expect.objectContaining({ name: 'MalformedAclError' }))
  })

  it('refuses other versions with UnsupportedVersionError and oversized bytes with TooLargeError', () => {
    expect(() => decodeAclBody(raw({ v: 2, changes: [every.leave] }))).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError' }))
    expect(() => decodeAclBody(new Uint8Array(ACL_LIMITS.maxBodyBytes + 1))).toThrow(expect.objectContaining({ name: 'TooLargeError' }))
  })

  it('will not encode what it would refuse to read', () => {
    expect(() => encodeAclBody(body())).toThrow(expect.objectContaining({ name: 'MalformedAclError' }))
    expect(() => encodeAclBody(body({ ...every.profile, name: 'x'.repeat(65) }))).toThrow(expect.objectContaining({ name: 'MalformedAclError' }))
  })
})
