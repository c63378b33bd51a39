/**
 * Rotations seal the new epoch's keys to outstanding invites (by record ID),
 * so a link made before a rotation still reaches what is written after it;
 * evaluation accepts such shares only while the invite is outstanding, with
 * a read key only for invites of role read or above.
 */
import { describe, expect, it } from 'vitest'
import { generateEpochKeys, openShare, sealShares } from '../../../src/core/acl/epoch-keys.ts'
import { evaluateAcl } from '../../../src/core/acl/evaluate.ts'
import { outstandingInvites } from '../../../src/core/acl/outstanding-invites.ts'
import type { AclState, KeyShare } from '../../../src/core/acl/types.ts'
import { AclScenario } from '../../helpers/acl-scenario.ts'

const codes = (state: AclState): string[] => state.refused.map((r) => r.code)

describe('key shares to invites', () => {
  it('gives a joiner through an invite the epochs rotated to it after the link was made', async () => {
    const s = new AclScenario('invite-shares')
    s.genesis('owner')
    await s.admit('owner', 'bob', 'write')
    const link = s.invite('owner', { role: 'read' })
    await s.role('owner', 'bob', 'none', { rotateTo: [{ name: 'owner', role: 'admin' }], invites: [link] })
    await s.join('viewer', link)
    const state = evaluateAcl(s.thread, s.events)
    expect(state.refused).toEqual([])
    expect(state.current!.holders).toContain(s.log('viewer'))
    expect(state.current!.holders).not.toContain(s.log('bob'))
    expect(state.invite(link.event.id)!.sharedKeys).toEqual([state.current!.keyId])
  })

  it('refuses shares to a used single-use invite, to an invite whose author is no admin, and read keys to a follow-only invite', async () => {
    const used = new AclScenario('spent')
    used.genesis('owner')
    const single = used.invite('owner', { role: 'write', uses: 1 })
    await used.join('wen', single)
    await used.rotation('owner', [{ name: 'owner', role: 'admin' }], { invites: [single] })
    expect(codes(evaluateAcl(used.thread, used.events))).toEqual(['share-to-spent-invite'])

    const revoked = new AclScenario('revoked')
    revoked.genesis('owner')
    await revoked.admit('owner', 'ada', 'admin')
    const adas = revoked.invite('ada', { role: 'read' })
    await revoked.role('owner', 'ada', 'none', { rotateTo: [{ name: 'owner', role: 'admin' }], invites: [adas] })
    expect(codes(evaluateAcl(revoked.thread, revoked.events))).toEqual(['share-to-spent-invite'])

    const holder = new AclScenario('holder')
    holder.genesis('owner')
    const shared = holder.invite('owner', { role: 'write' })
    await holder.join('wen', shared)
    // Wen holds the link: a rotation that removes her may not seal the new keys to it.
    await holder.role('owner', 'wen', 'none', { rotateTo: [{ name: 'owner', role: 'admin' }], invites: [shared] })
    expect(codes(evaluateAcl(holder.thread, holder.events))).toEqual(['share-to-spent-invite'])

    const follow = new AclScenario('follow-only')
    follow.genesis('owner')
    const backup = follow.invite('owner', { role: 'follow' })
    // Sealed as if for a reader: the share carries a read key the invite's role may not have.
    await follow.rotation('owner', [{ name: 'owner', role: 'admin' }], { invites: [{ ...backup, role: 'read' }] })
    expect(codes(evaluateAcl(follow.thread, follow.events))).toEqual(['read-key-below-read'])
  })

  it('lists as outstanding only invites still open to joins at the given time', async () => {
    const s = new AclScenario('outstanding')
    s.genesis('owner')
    const open = s.invite('owner', { role: 'read' })
    const expiring = s.invite('owner', { role: 'read', expires: 5000 })
    const single = s.invite('owner', { role: 'write', uses: 1 })
    await s.join('wen', single)
    const state = evaluateAcl(s.thread, s.events)
    expect(outstandingInvites(state, 4000).map((i) => i.id)).toEqual([open.event.id, expiring.event.id])
    expect(outstandingInvites(state, 6000).map((i) => i.id)).toEqual([open.event.id])
  })

  it('opens an invite share only with the link\'s secret, never with a member\'s key', async () => {
    const s = new AclScenario('open-invite-share')
    s.genesis('owner')
    const created = s.invite('owner', { role: 'read' })
    const keys = generateEpochKeys()
    const [share] = await sealShares({ thread: s.thread, keys, recipients: [{ member: created.event.id, x25519: created.x25519, role: 'read' }] }) as [KeyShare]
    const member = s.person('owner')
    await expect(openShare({ thread: s.thread, share, keyId: keys.keyId, secretKey: member.x25519.secretKey, log: created.event.id })).rejects.toMatchObject({ name: 'DecryptError' })
    await expect(openShare({ thread: s.thread, share, keyId: keys.keyId, secretKey: member.x25519.secretKey, log: member.log })).rejects.toMatchObject({ name: 'NotShareRecipientError' })
  })
})
