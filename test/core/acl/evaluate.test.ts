import { describe, expect, it } from 'vitest'
import { SHARE_CT_LENGTH } from '../../../src/core/acl/codec.ts'
import { evaluateAcl } from '../../../src/core/acl/evaluate.ts'
import { mayChangeDocument } from '../../../src/core/acl/roles.ts'
import type { AclEvent, AclState } from '../../../src/core/acl/types.ts'
import { AclScenario } from '../../helpers/acl-scenario.ts'

const codes = (state: AclState): Array<[string, string]> => state.refused.map((r) => [r.id, r.code])
const shuffledEvaluations = (s: AclScenario, events: readonly AclEvent[] = s.events): AclState[] =>
  [events, [...events].reverse(), [...events].sort((a, b) => (a.id < b.id ? 1 : -1))].map((list) => evaluateAcl(s.thread, list))

async function ownerWithWriter (): Promise<AclScenario> {
  const s = new AclScenario('acl-eval')
  s.genesis('owner', [{ type: 'profile', name: 'Olga' }])
  await s.admit('owner', 'writer', 'write')
  return s
}

describe('evaluateAcl', () => {
  it('makes the genesis author the owner, an admin from seq 1, with the genesis epoch current', () => {
    const s = new AclScenario('owner')
    const genesis = s.genesis('owner', [{ type: 'profile', name: 'Olga' }])
    const state = evaluateAcl(s.thread, s.events)
    expect(state.owner).toBe(s.log('owner'))
    expect(state.roleAt(s.log('owner'), 1)).toBe('admin')
    expect(state.roleAt(s.log('owner'), 1000)).toBe('admin')
    expect(state.current).toMatchObject({ epoch: 0, keyId: s.currentKey, createdBy: genesis.id, holders: [s.log('owner')] })
    expect(state.members()).toEqual([expect.objectContaining({ log: s.log('owner'), owner: true, role: 'admin', name: 'Olga', admittedBy: genesis.id })])
    expect(state.refused).toEqual([])
  })

  it('refuses a genesis for another thread ID, or sealed with another epoch', () => {
    const s = new AclScenario('genesis')
    s.genesis('owner')
    const real = s.thread
    expect(codes(evaluateAcl(real.slice(0, -2) + 'aa', s.events))).toEqual([[s.events[0]!.id, 'thread-mismatch']])
    const t = new AclScenario('genesis-key')
    t.genesis('owner')
    const wrongKey = { ...t.events[0]!, key: new Uint8Array(16) }
    expect(codes(evaluateAcl(t.thread, [wrongKey]))).toEqual([[wrongKey.id, 'wrong-epoch-key']])
  })

  it('admits a joiner through an invite, with the invite role and epochs', async () => {
    const s = await ownerWithWriter()
    const state = evaluateAcl(s.thread, s.events)
    const writer = s.log('writer')
    expect(state.roleAt(writer, 1)).toBe('write')
    expect(state.roleAt(writer, 7)).toBe('write')
    expect(state.roleAt('somebody-else', 1)).toBe('none')
    expect(state.current!.holders).toContain(writer)
    expect(state.invite(s.events[1]!.id)!.usedBy).toEqual([writer])
  })

  it('refuses a join without its invite in deps, with a proof for another log, or at a later seq', async () => {
    const s = new AclScenario('joins')
    s.genesis('owner')
    const invite = s.invite('owner', { role: 'read' })
    const honest = await s.join('mallory', invite)
    // Eve copies mallory's proof: it names mallory's log, not hers.
    const copied = s.event('eve', [{ ...honest.body.changes[0]! }], { deps: [invite.event] })
    const noDeps = s.event('trent', [{ ...(await s.join('trent-tmp', invite)).body.changes[0]! }], { deps: [s.events[0]!] })
    const state = evaluateAcl(s.thread, s.events.filter((e) => e.log !== s.log('trent-tmp')))
    expect(codes(state)).toEqual(expect.arrayContaining([[copied.id, 'bad-proof'], [noDeps.id, 'invite-not-in-deps']]))
    expect(state.roleAt(s.log('mallory'), 1)).toBe('read')
    expect(state.roleAt(s.log('eve'), 1)).toBe('none')
  })

  it('admits exactly one of two concurrent joins with a single-use invite, in every order', async () => {
    const s = new AclScenario('single-use')
    s.genesis('owner')
    const invite = s.invite('owner', { role: 'write', uses: 1 })
    const a = await s.join('a', invite)
    const b = await s.join('b', invite)
    const states = shuffledEvaluations(s)
    for (const state of states) {
      const admitted = [a, b].filter((j) => state.roleAt(j.log, 1) === 'write')
      expect(admitted).toHaveLength(1)
      expect(state.refused.map((r) => r.code)).toEqual(['invite-exhausted'])
    }
    expect(new Set(states.map((st) => st.invite(invite.event.id)!.usedBy[0])).size).toBe(1)
  })

  it('refuses a join after the invite expired', async () => {
    const s = new AclScenario('expired')
    s.genesis('owner')
    const invite = s.invite('owner', { role: 'read', expires: 5000 })
    const late = await s.join('late', invite, { time: 5001 })
    const onTime = await s.join('on-time', invite, { time: 5000 })
    const state = evaluateAcl(s.thread, s.events)
    expect(codes(state)).toEqual([[late.id, 'invite-expired']])
    expect(state.roleAt(onTime.log, 1)).toBe('read')
  })

  it('gives a viewer no write role and refuses its ACL events', async () => {
    const s = new AclScenario('viewer')
    s.genesis('owner')
    await s.admit('owner', 'viewer', 'read')
    const attempt = s.invite('viewer', { role: 'admin' })
    const state = evaluateAcl(s.thread, s.events)
    expect(state.roleAt(s.log('viewer'), 2)).toBe('read')
    expect(codes(state)).toEqual([[attempt.event.id, 'role-too-low']])
    expect(mayChangeDocument({ role: state.roleAt(s.log('viewer'), 2), isCreator: true, rule: 'shared' })).toBe(false)
  })

  it('applies a removal from `at` on: later records of the removed writer have role none', async () => {
    const s = await ownerWithWriter()
    s.person('writer').seq = 5 // the writer wrote data records up to seq 5
    const removal = await s.role('owner', 'writer', 'none', { at: 5, rotateTo: [{ name: 'owner', role: 'admin' }] })
    const state = evaluateAcl(s.thread, s.events)
    const writer = s.log('writer')
    expect([1, 5, 6, 100].map((seq) => state.roleAt(writer, seq))).toEqual(['write', 'write', 'none', 'none'])
    expect(state.segments(writer)).toEqual([{ fromSeq: 1, role: 'write', by: s.events[2]!.id }, { fromSeq: 6, role: 'none', by: removal.id }])
    expect(state.current).toMatchObject({ epoch: 1, createdBy: removal.id, holders: [s.log('owner')] })
  })

  it('refuses lowering a member below read without a rotate in the same record', async () => {
    const s = await ownerWithWriter()
    const removal = await s.role('owner', 'writer', 'follow')
    const state = evaluateAcl(s.thread, s.events)
    expect(codes(state)).toEqual([[removal.id, 'rotate-required']])
    expect(state.roleAt(s.log('writer'), 2)).toBe('write')
  })

  it('lets a concurrent removal win over a concurrent grant, in every order', async () => {
    const s = await ownerWithWriter()
    await s.admit('owner', 'admin', 'admin')
    const base = [...s.events]
    const grant = await s.role('admin', 'writer', 'delete', { deps: base })
    const removal = await s.role('owner', 'writer', 'none', { deps: base, rotateTo: [{ name: 'owner', role: 'admin' }, { name: 'admin', role: 'admin' }] })
    for (const state of shuffledEvaluations(s)) {
      expect(state.roleAt(s.log('writer'), 2)).toBe('none')
      expect(state.order.indexOf(grant.id)).toBeLessThan(state.order.indexOf(removal.id))
      expect(state.refused).toEqual([])
    }
  })

  it('keeps exactly one of two admins removing each other concurrently', async () => {
    const s = new AclScenario('admins')
    s.genesis('owner')
    await s.admit('owner', 'a', 'admin')
    await s.admit('owner', 'b', 'admin')
    const base = [...s.events]
    const aRemovesB = await s.role('a', 'b', 'none', { deps: base, rotateTo: [{ name: 'owner', role: 'admin' }, { name: 'a', role: 'admin' }] })
    const bRemovesA = await s.role('b', 'a', 'none', { deps: base, rotateTo: [{ name: 'owner', role: 'admin' }, { name: 'b', role: 'admin' }] })
    const states = shuffledEvaluations(s)
    for (const state of states) {
      const stood = [aRemovesB, bRemovesA].filter((e) => !state.refused.some((r) => r.id === e.id))
      expect(stood).toHaveLength(1)
      const winner = stood[0] === aRemovesB ? 'a' : 'b'
      const loser = winner === 'a' ? 'b' : 'a'
      expect(state.roleAt(s.log(winner), 3)).toBe('admin')
      expect(state.roleAt(s.log(loser), 3)).toBe('none')
      expect(state.refused.map((r) => r.code)).toEqual(['role-too-low'])
    }
    expect(new Set(states.map((st) => st.current!.createdBy)).size).toBe(1)
  })

  it('lets a member leave: from its next seq it has role none', async () => {
    const s = await ownerWithWriter()
    const leave = s.event('writer', [{ type: 'leave' }])
    const after = s.event('writer', [{ type: 'profile', name: 'ghost' }])
    const state = evaluateAcl(s.thread, s.events)
    expect(state.roleAt(s.log('writer'), leave.seq)).toBe('write')
    expect(state.roleAt(s.log('writer'), leave.seq + 1)).toBe('none')
    expect(codes(state)).toEqual([[after.id, 'not-member']])
    expect(state.members().find((m) => m.log === s.log('writer'))).toMatchObject({ role: 'none' })
  })

  it('keeps a leave against a concurrent change by an admin who had not seen it', async () => {
    const s = await ownerWithWriter()
    const base = [...s.events]
    s.event('writer', [{ type: 'leave' }])
    await s.role('owner', 'writer', 'read', { at: 1, deps: base })
    for (const state of shuffledEvaluations(s)) {
      expect(state.roleAt(s.log('writer'), 2)).toBe('read')
      expect(state.roleAt(s.log('writer'), 3)).toBe('none')
    }
  })

  it('refuses ACL events by non-admins', async () => {
    const s = await ownerWithWriter()
    await s.admit('owner', 'other', 'write')
    const events = [
      s.invite('writer', { role: 'read' }).event,
      await s.role('writer', 'other', 'read'),
      await s.rotation('writer', [{ name: 'writer', role: 'write' }])
    ]
    const state = evaluateAcl(s.thread, s.events)
    expect(codes(state)).toEqual(events.map((e) => [e.id, 'role-too-low']))
    expect(state.current!.epoch).toBe(0)
  })

  it('never lets anyone demote the owner, nor the owner leave', async () => {
    const s = new AclScenario('owner-immutable')
    s.genesis('owner')
    await s.admit('owner', 'admin', 'admin')
    const demote = await s.role('admin', 'owner', 'read')
    const leave = s.event('owner', [{ type: 'leave' }])
    const state = evaluateAcl(s.thread, s.events)
    expect(codes(state).sort()).toEqual([[demote.id, 'owner-immutable'], [leave.id, 'owner-immutable']].sort())
    expect(state.roleAt(s.log('owner'), 10)).toBe('admin')
  })

  it('refuses a rotate that shares keys to a removed member', async () => {
    const s = await ownerWithWriter()
    await s.role('owner', 'writer', 'none', { rotateTo: [{ name: 'owner', role: 'admin' }] })
    const leak = await s.rotation('owner', [{ name: 'owner', role: 'admin' }, { name: 'writer', role: 'follow' }])
    const state = evaluateAcl(s.thread, s.events)
    expect(codes(state)).toEqual([[leak.id, 'share-to-nonmember']])
    expect(state.current!.epoch).toBe(1)
  })

  it('refuses a read key to a follower and a share by a follower', async () => {
    const s = await ownerWithWriter()
    await s.admit('owner', 'follower', 'follow')
    const readKeyToFollower = await s.rotation('owner', [{ name: 'follower', role: 'read' }])
    const fakeShare = (name: string, withReadKey: boolean) => ({ member: s.log(name), enc: s.random(32), ct: s.random(withReadKey ? SHARE_CT_LENGTH.withReadKey : SHARE_CT_LENGTH.followOnly) })
    const genesisKey = s.epochs[0]!.keyId
    const byFollower = s.event('follower', [{ type: 'share', key: genesisKey, shares: [fakeShare('writer', false)] }], { key: genesisKey })
    const state = evaluateAcl(s.thread, s.events)
    expect(codes(state).sort()).toEqual([[readKeyToFollower.id, 'read-key-below-read'], [byFollower.id, 'role-too-low']].sort())
  })

  it('records who received an epoch through a share by a reader', async () => {
    const s = new AclScenario('share')
    s.genesis('owner')
    await s.admit('owner', 'reader', 'read')
    const rotate = await s.rotation('owner', [{ name: 'owner', role: 'admin' }, { name: 'reader', role: 'read' }])
    // A member who joins with a link made before the rotation lacks the new epoch; the reader shares it.
    const old = s.invite('owner', { role: 'write', keys: [s.epochs[0]!.keyId], key: s.epochs[0]!.keyId })
    await s.join('late', old, { key: s.epochs[0]!.keyId })
    const share = s.event('reader', [{ type: 'share', key: s.currentKey, shares: [{ member: s.log('late'), enc: s.random(32), ct: s.random(SHARE_CT_LENGTH.withReadKey) }] }], { deps: [rotate, s.person('late').last!] })
    const state = evaluateAcl(s.thread, s.events)
    expect(state.refused).toEqual([])
    expect(state.epoch(s.currentKey)!.holders).toEqual([s.log('owner'), s.log('reader'), s.log('late')].sort())
    expect(state.order.at(-1)).toBe(share.id)
  })

  it('waits for missing events instead of refusing what comes after them', async () => {
    const s = await ownerWithWriter()
    const invite = s.invite('owner', { role: 'read' })
    const join = await s.join('reader', invite)
    const profile = s.event('reader', [{ type: 'profile', name: 'R' }])
    const state = evaluateAcl(s.thread, s.events.filter((e) => e !== invite.event))
    expect(state.pending).toEqual([join.id, profile.id].sort())
    expect(state.refused).toEqual([])
    expect(state.roleAt(s.log('reader'), 1)).toBe('none')
  })

  it('runs an event sealed with a new epoch after the rotate that creates it, and keeps one with an unknown epoch waiting', async () => {
    const s = await ownerWithWriter()
    const rotate = await s.rotation('owner', [{ name: 'owner', role: 'admin' }, { name: 'writer', role: 'write' }])
    // The writer seals with the new epoch but names only its own previous event.
    const profile = s.event('writer', [{ type: 'profile', name: 'W' }])
    const stray = s.event('owner', [{ type: 'profile', name: 'O' }], { key: new Uint8Array(16).fill(7) })
    for (const state of shuffledEvaluations(s)) {
      expect(state.order.indexOf(profile.id)).toBeGreaterThan(state.order.indexOf(rotate.id))
      expect(state.members().find((m) => m.log === s.log('writer'))!.name).toBe('W')
      expect(state.pending).toEqual([stray.id])
    }
    expect(evaluateAcl(s.thread, s.events.filter((e) => e !== rotate)).pending).toEqual([profile.id, stray.id].sort())
  })

  it('refuses a rotate that names an existing epoch without holding up the events sealed with it', async () => {
    const s = await ownerWithWriter()
    const genesisKey = s.epochs[0]!.keyId
    const hostile = s.event('writer', [{ type: 'rotate', epoch: 1, followKeyId: genesisKey, shares: [] }])
    const later = s.event('owner', [{ type: 'profile', name: 'still here' }])
    for (const state of shuffledEvaluations(s)) {
      expect(codes(state)).toEqual([[hostile.id, 'role-too-low']])
      expect(state.order).toContain(later.id)
      expect(state.pending).toEqual([])
    }
  })

  it('keeps one of two records claiming one log position and refuses the other', async () => {
    const s = await ownerWithWriter()
    const a = s.event('writer', [{ type: 'profile', name: 'A' }])
    s.person('writer').seq--
    s.person('writer').last = s.events[2]
    const b = s.event('writer', [{ type: 'profile', name: 'B' }])
    const [kept, dropped] = a.id < b.id ? [a, b] : [b, a]
    for (const state of shuffledEvaluations(s)) {
      expect(codes(state)).toEqual([[dropped.id, 'duplicate-position']])
      expect(state.members().find((m) => m.log === s.log('writer'))!.name).toBe(kept === a ? 'A' : 'B')
    }
  })

  it('refuses events without the shape of an ACL event before any work', async () => {
    const s = await ownerWithWriter()
    const good = s.events[0]!
    for (const bad of [{ ...good, seq: 0 }, { ...good, seq: 1.5 }, { ...good, key: new Uint8Array(15) }, { ...good, after: Array.from({ length: 66 }, () => good.id) }, { ...good, body: {} }]) {
      expect(() => evaluateAcl(s.thread, [good, bad as AclEvent])).toThrow(expect.objectContaining({ name: 'MalformedAclError' }))
    }
  })

  it('refuses more events than its limit', () => {
    expect(() => evaluateAcl('t', Array.from({ length: 16385 }, () => ({}) as AclEvent))).toThrow(expect.objectContaining({ name: 'TooLargeError' }))
  })
})

describe('mayChangeDocument', () => {
  it('follows the collection rule for writers and lets delete and admin change anything', () => {
    const cases: Array<[Parameters<typeof mayChangeDocument>[0], boolean]> = [
      [{ role: 'write', isCreator: true, rule: 'creator' }, true],
      [{ role: 'write', isCreator: false, rule: 'creator' }, false],
      [{ role: 'write', isCreator: false, rule: 'shared' }, true],
      [{ role: 'delete', isCreator: false, rule: 'creator' }, true],
      [{ role: 'admin', isCreator: false, rule: 'creator' }, true],
      [{ role: 'read', isCreator: true, rule: 'shared' }, false],
      [{ role: 'none', isCreator: true, rule: 'shared' }, false]
    ]
    for (const [input, expected] of cases) expect(mayChangeDocument(input), JSON.stringify(input)).toBe(expected)
  })
})
