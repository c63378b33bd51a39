import { describe, expect, it } from 'vitest'
import { createInvite, generateInviteKey, joinProof, prepareJoinProof, verifyJoinProof, verifyJoinProofSync } from '../../../src/core/acl/invite-proof.ts'
import { deterministicRandom } from '../../../src/core/crypto/random.ts'
import { generateLogIdentity } from '../../../src/core/ids/log-id.ts'

const random = deterministicRandom('acl-invite-proof')
const thread = 'bafyreiaclthread'
const log = generateLogIdentity(random).logId
const other = generateLogIdentity(random).logId

describe('join proofs', () => {
  it('verify for the log and thread they were made for, and nothing else', async () => {
    const invite = generateInviteKey(random)
    const proof = await joinProof(invite.seed, thread, log)
    for (const verify of [verifyJoinProof, async (...a: Parameters<typeof verifyJoinProofSync>) => verifyJoinProofSync(...a)]) {
      expect(await verify(invite.publicKey, proof, thread, log)).toBe(true)
      expect(await verify(invite.publicKey, proof, thread, other)).toBe(false)
      expect(await verify(invite.publicKey, proof, 'bafyreiotherthread', log)).toBe(false)
      expect(await verify(generateInviteKey(random).publicKey, proof, thread, log)).toBe(false)
      expect(await verify(invite.publicKey, proof.map((b, i) => (i === 5 ? b ^ 1 : b)), thread, log)).toBe(false)
      expect(await verify(invite.publicKey, proof.subarray(0, 63), thread, log)).toBe(false)
    }
  })

  it('are answered from memory only for the inputs they were checked for, whichever came first', async () => {
    const invite = generateInviteKey(random)
    const proof = await joinProof(invite.seed, thread, log)
    await prepareJoinProof(invite.publicKey, proof, thread, log)
    for (let round = 0; round < 2; round++) {
      expect(verifyJoinProofSync(invite.publicKey, proof, thread, log)).toBe(true)
      expect(verifyJoinProofSync(invite.publicKey, proof, thread, other)).toBe(false)
      expect(verifyJoinProofSync(invite.publicKey, proof, 'bafyreiotherthread', log)).toBe(false)
      expect(verifyJoinProofSync(generateInviteKey(random).publicKey, proof, thread, log)).toBe(false)
      // The same bytes in other arrays are the same proof.
      expect(verifyJoinProofSync(new Uint8Array(invite.publicKey), new Uint8Array(proof), thread, log)).toBe(true)
    }
  })

  it('come from invites that carry their role, limits and keys', () => {
    const keys = [random(16)]
    const { change, seed } = createInvite({ role: 'read', keys, uses: 1, expires: 5000, random })
    expect(change).toMatchObject({ type: 'invite', role: 'read', uses: 1, expires: 5000, keys })
    expect(seed).toHaveLength(32)
    expect(createInvite({ role: 'write', keys }).change).toMatchObject({ uses: null, expires: null })
  })

  it('refuse a seed of the wrong length', async () => {
    await expect(joinProof(new Uint8Array(31), thread, log)).rejects.toMatchObject({ name: 'MalformedAclError' })
  })
})
