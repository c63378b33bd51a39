import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import * as dagCbor from '@ipld/dag-cbor'
import { CipherSuite, HkdfSha256 } from '@hpke/core'
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
// An independent X25519 implementation seals the crafted shares: the product's (native WebCrypto) must open them alike.
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519'
import { describe, expect, it } from 'vitest'
import { SHARE_CT_LENGTH, shareHasReadKey } from '../../../src/core/acl/codec.ts'
import { keyIdText } from '../../../src/core/acl/state.ts'
import { epochKeyId, generateEpochKeys, generateX25519KeyPair, openShare, sealShares, shareAad } from '../../../src/core/acl/epoch-keys.ts'
import { deterministicRandom, secureRandom } from '../../../src/core/crypto/random.ts'
import { generateLogIdentity } from '../../../src/core/ids/log-id.ts'

const random = deterministicRandom('acl-epoch-keys')
const thread = 'bafyreiaclthread'
const alice = { log: generateLogIdentity(random).logId, keys: generateX25519KeyPair(random) }
const bob = { log: generateLogIdentity(random).logId, keys: generateX25519KeyPair(random) }
const epoch = generateEpochKeys(random)

describe('epoch keys', () => {
  it('name an epoch by the first 16 bytes of sha256(domain ‖ followKey)', () => {
    const expected = sha256(new Uint8Array([...utf8ToBytes('threads/v3/epoch-key-id'), ...epoch.followKey])).slice(0, 16)
    expect(epochKeyId(epoch.followKey)).toEqual(expected)
    expect(epoch.keyId).toEqual(expected)
    expect(generateEpochKeys().keyId).not.toEqual(epoch.keyId)
  })

  it('reach each recipient through HPKE, the read key only from role read up', async () => {
    const shares = await sealShares({ thread, keys: epoch, recipients: [{ member: alice.log, x25519: alice.keys.publicKey, role: 'write' }, { member: bob.log, x25519: bob.keys.publicKey, role: 'follow' }] })
    expect(shares.map((s) => s.ct.length)).toEqual([SHARE_CT_LENGTH.withReadKey, SHARE_CT_LENGTH.followOnly])
    expect(shares.map(shareHasReadKey)).toEqual([true, false])
    expect(await openShare({ thread, share: shares[0]!, keyId: epoch.keyId, secretKey: alice.keys.secretKey, log: alice.log })).toEqual(epoch)
    const bobs = await openShare({ thread, share: shares[1]!, keyId: epoch.keyId, secretKey: bob.keys.secretKey, log: bob.log })
    expect(bobs).toEqual({ keyId: epoch.keyId, followKey: epoch.followKey })
  })

  it('do not open for anyone else, in another thread or under another key ID', async () => {
    const [share] = await sealShares({ thread, keys: epoch, recipients: [{ member: alice.log, x25519: alice.keys.publicKey, role: 'read' }] })
    const open = (over: object) => openShare({ thread, share: share!, keyId: epoch.keyId, secretKey: alice.keys.secretKey, log: alice.log, ...over })
    await expect(open({ secretKey: bob.keys.secretKey })).rejects.toMatchObject({ name: 'DecryptError' })
    await expect(open({ thread: 'bafyreiotherthread' })).rejects.toMatchObject({ name: 'DecryptError' })
    await expect(open({ keyId: generateEpochKeys(random).keyId })).rejects.toMatchObject({ name: 'DecryptError' })
    await expect(open({ log: bob.log, secretKey: bob.keys.secretKey })).rejects.toMatchObject({ name: 'NotShareRecipientError' })
    // A share relabelled for bob does not open for him either: the member is in the aad.
    await expect(open({ share: { ...share!, member: bob.log }, log: bob.log, secretKey: bob.keys.secretKey })).rejects.toMatchObject({ name: 'DecryptError' })
    const tampered = { ...share!, ct: share!.ct.map((b, i) => (i === 0 ? b ^ 1 : b)) }
    await expect(open({ share: tampered })).rejects.toMatchObject({ name: 'DecryptError' })
  })

  it('refuse keys that are not the epoch they are shared under', async () => {
    const other = generateEpochKeys(random)
    const [share] = await sealShares({ thread, keys: { ...other, keyId: epoch.keyId }, recipients: [{ member: alice.log, x25519: alice.keys.publicKey, role: 'read' }] })
    await expect(openShare({ thread, share: share!, keyId: epoch.keyId, secretKey: alice.keys.secretKey, log: alice.log })).rejects.toMatchObject({ name: 'ShareKeyMismatchError' })
  })

  it('refuse a share whose plaintext is not { followKey, readKey? }', async () => {
    const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() })
    const info = utf8ToBytes('threads/v3/epoch-share')
    for (const plaintext of [dagCbor.encode({ followKey: epoch.followKey, extra: 1 }), dagCbor.encode({ followKey: epoch.followKey.subarray(0, 31) }), new Uint8Array([0xff])]) {
      const sealed = await suite.seal({ recipientPublicKey: await suite.kem.deserializePublicKey(alice.keys.publicKey), info }, plaintext, shareAad(thread, epoch.keyId, alice.log))
      const share = { member: alice.log, enc: new Uint8Array(sealed.enc), ct: new Uint8Array(sealed.ct) }
      await expect(openShare({ thread, share, keyId: epoch.keyId, secretKey: alice.keys.secretKey, log: alice.log })).rejects.toMatchObject({ name: 'MalformedAclError' })
    }
  })

  it('are never sealed to a member of role none', async () => {
    await expect(sealShares({ thread, keys: epoch, recipients: [{ member: alice.log, x25519: alice.keys.publicKey, role: 'none' }] })).rejects.toMatchObject({ name: 'ShareRoleError' })
  })

  it('seal deterministically only when given a random source', async () => {
    const recipients = [{ member: alice.log, x25519: alice.keys.publicKey, role: 'read' as const }]
    const a = await sealShares({ thread, keys: epoch, recipients, random: deterministicRandom('e') })
    const b = await sealShares({ thread, keys: epoch, recipients, random: deterministicRandom('e') })
    const c = await sealShares({ thread, keys: epoch, recipients })
    expect(a).toEqual(b)
    expect(c[0]!.enc).not.toEqual(a[0]!.enc)
  })

  it('reach each of many recipients in order, with fresh ephemeral keys under the database\'s secure random source', async () => {
    const many = Array.from({ length: 24 }, () => ({ log: generateLogIdentity(random).logId, keys: generateX25519KeyPair(random) }))
    const shares = await sealShares({ thread, keys: epoch, recipients: many.map((m, i) => ({ member: m.log, x25519: m.keys.publicKey, role: i % 2 === 0 ? 'write' as const : 'follow' as const })), random: secureRandom })
    expect(shares.map((s) => s.member)).toEqual(many.map((m) => m.log))
    expect(new Set(shares.map((s) => keyIdText(s.enc))).size).toBe(many.length)
    for (const [i, m] of many.entries()) {
      const opened = await openShare({ thread, share: shares[i]!, keyId: epoch.keyId, secretKey: m.keys.secretKey, log: m.log })
      expect(opened).toEqual(i % 2 === 0 ? epoch : { keyId: epoch.keyId, followKey: epoch.followKey })
    }
    // The neighbour's share does not open with this member's key, relabelled or not.
    await expect(openShare({ thread, share: { ...shares[1]!, member: many[0]!.log }, keyId: epoch.keyId, secretKey: many[0]!.keys.secretKey, log: many[0]!.log })).rejects.toMatchObject({ name: 'DecryptError' })
  })

  it('seal nothing when one recipient\'s X25519 key is malformed', async () => {
    const recipients = [{ member: alice.log, x25519: alice.keys.publicKey, role: 'read' as const }, { member: bob.log, x25519: bob.keys.publicKey.subarray(0, 31), role: 'read' as const }]
    await expect(sealShares({ thread, keys: epoch, recipients })).rejects.toMatchObject({ name: 'MalformedAclError' })
  })
})
