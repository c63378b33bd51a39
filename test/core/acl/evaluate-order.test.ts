/**
 * Membership is a function of the set of ACL events: random concurrent
 * histories (members acting on partial views, with deps on what they saw),
 * given in random orders and with repeats, must evaluate to identical states.
 * A failing seed is printed; rerun it with ACL_SEED=<seed>.
 */
import { describe, expect, it } from 'vitest'
import { SHARE_CT_LENGTH } from '../../../src/core/acl/codec.ts'
import { evaluateAcl } from '../../../src/core/acl/evaluate.ts'
import { ROLES, type AclChange, type AclEvent, type AclState, type KeyShare } from '../../../src/core/acl/types.ts'
import { AclScenario, type Invite } from '../../helpers/acl-scenario.ts'
import { seededRng, type Rng } from '../../helpers/seeded.ts'

const PEOPLE = ['owner', 'p1', 'p2', 'p3', 'p4', 'p5']

/** Shares whose ciphertexts are random bytes of the right length: evaluation reads only who gets which keys. */
function fakeShares (s: AclScenario, rng: Rng, joined: ReadonlySet<string>): KeyShare[] {
  const names = PEOPLE.filter((p) => rng.chance(joined.has(p) ? 0.6 : 0.05))
  return names.map((name) => ({ member: s.log(name), enc: s.random(32), ct: s.random(rng.chance(0.2) ? SHARE_CT_LENGTH.withReadKey : SHARE_CT_LENGTH.followOnly) }))
}

/** A new epoch for a random history (its keys are never used to seal anything). */
function newEpoch (s: AclScenario): Uint8Array {
  const keyId = s.random(16)
  s.epochs.push({ keyId, followKey: s.random(32), readKey: s.random(32) })
  return keyId
}

/** A random concurrent history of one thread. */
async function randomHistory (seed: number): Promise<AclScenario> {
  const rng = seededRng(seed)
  const s = new AclScenario(`acl-order-${seed}`)
  s.genesis('owner')
  const invites: Invite[] = []
  const joined = new Set(['owner'])
  for (let step = 0; step < 30; step++) {
    const author = rng.pick([...joined])
    // What the author has seen of the others: a few random earlier events.
    const deps = Array.from({ length: rng.int(3) }, () => rng.pick(s.events)).filter((e, i, all) => e.log !== s.log(author) && all.indexOf(e) === i)
    const key = rng.chance(0.5) ? s.epochs[0]!.keyId : rng.pick(s.epochs).keyId
    const roll = rng.int(100)
    if (roll < 20) {
      const genesisKey = s.epochs[0]!.keyId
      invites.push(s.invite(author, { role: rng.pick(ROLES), uses: rng.chance(0.5) ? 1 : null, expires: rng.chance(0.3) ? rng.int(2000) : null, deps, keys: rng.chance(0.9) ? [genesisKey] : [key], key: rng.chance(0.8) ? genesisKey : key }))
    } else if (roll < 40 && invites.length > 0) {
      const name = rng.pick(PEOPLE.filter((p) => !joined.has(p)).concat(['late']))
      if (name === 'late' && joined.has('late')) continue
      joined.add(name)
      await s.join(name, rng.pick(invites), { time: rng.int(2000), key: s.epochs[0]!.keyId })
    } else if (roll < 60) {
      const member = rng.pick(PEOPLE)
      const change: AclChange = { type: 'role', member: s.log(member), role: rng.pick(ROLES), at: 1 + rng.int(4) }
      const rotate: AclChange[] = rng.chance(0.6) ? [{ type: 'rotate', epoch: s.epochs.length, followKeyId: newEpoch(s), shares: fakeShares(s, rng, joined) }] : []
      s.event(author, [change, ...rotate], { deps, key })
    } else if (roll < 68) {
      s.event(author, [{ type: 'leave' }], { deps, key })
    } else if (roll < 80) {
      s.event(author, [{ type: 'rotate', epoch: rng.chance(0.8) ? s.epochs.length : 1 + rng.int(s.epochs.length), followKeyId: newEpoch(s), shares: fakeShares(s, rng, joined) }], { deps, key })
    } else if (roll < 90) {
      s.event(author, [{ type: 'share', key: rng.pick(s.epochs).keyId, shares: fakeShares(s, rng, joined) }], { deps, key })
    } else {
      s.event(author, [{ type: 'profile', name: `${author}-${step}` }], { deps, key })
    }
  }
  return s
}

/** Everything a replica shows about membership, for comparison. */
function summary (state: AclState, logs: readonly string[]): unknown {
  return {
    owner: state.owner,
    members: state.members(),
    roles: logs.map((log) => [log, state.segments(log), [1, 2, 3, 4, 5, 6].map((seq) => state.roleAt(log, seq))]),
    current: state.current,
    epochs: state.epochs(),
    refused: state.refused,
    pending: state.pending,
    order: state.order
  }
}

describe('evaluateAcl over random concurrent histories', () => {
  const seeds = process.env.ACL_SEED === undefined ? Array.from({ length: 100 }, (_, i) => i + 1) : [Number(process.env.ACL_SEED)]

  it('gives identical states for every order of the same events', { timeout: 240_000 }, async () => {
    const totals = { admitted: 0, refused: 0, rotations: 0 }
    for (const seed of seeds) {
      const s = await randomHistory(seed)
      const logs = [...s.people.values()].map((p) => p.log)
      const reference = summary(evaluateAcl(s.thread, s.events), logs)
      const rng = seededRng(seed * 7919)
      for (let round = 0; round < 6; round++) {
        const shuffled = rng.shuffle([...s.events, ...s.events.filter(() => rng.chance(0.1))])
        const state = evaluateAcl(s.thread, shuffled)
        try {
          expect(summary(state, logs)).toEqual(reference)
        } catch (error) {
          throw new Error(`seed ${seed}, round ${round}: states differ (rerun with ACL_SEED=${seed})`, { cause: error })
        }
        if (round === 0) {
          totals.admitted += state.members().length - 1
          totals.refused += state.refused.length
          totals.rotations += state.epochs().length - 1
        }
      }
    }
    // The histories exercise the rules: joins are admitted and refused, rotations happen.
    if (seeds.length > 1) {
      expect(totals.admitted).toBeGreaterThan(seeds.length)
      expect(totals.refused).toBeGreaterThan(seeds.length * 5)
      expect(totals.rotations).toBeGreaterThan(seeds.length / 2)
    }
  })

  it('evaluates histories near its event limit in bounded work', async () => {
    // Long chains of profile changes by many members: the order and the fold stay O(n log n).
    const s = new AclScenario('acl-order-large')
    s.genesis('owner')
    const admitted: AclEvent[] = []
    for (let i = 0; i < 20; i++) admitted.push(await s.admit('owner', `m${i}`, 'write'))
    for (let i = 0; i < 8000; i++) s.event(`m${i % 20}`, [{ type: 'profile', name: `n${i}` }])
    // Thousands of role changes of one member, each from a seq the admin had seen.
    const rng = seededRng(99)
    let last: { at: number, role: 'write' | 'delete' } = { at: 1, role: 'write' }
    for (let i = 0; i < 3000; i++) {
      last = { at: 1 + rng.int(400), role: rng.chance(0.5) ? 'write' : 'delete' }
      s.event('owner', [{ type: 'role', member: s.log('m0'), role: last.role, at: last.at }], { deps: i === 0 ? [admitted[0]!] : [] })
    }
    const state = evaluateAcl(s.thread, s.events)
    expect(state.refused).toEqual([])
    expect(state.members()).toHaveLength(21)
    expect(state.order).toHaveLength(s.events.length)
    expect(state.roleAt(s.log('m0'), last.at + 1)).toBe(last.role)
    expect(state.segments(s.log('m0')).at(-1)).toMatchObject({ fromSeq: last.at + 1, role: last.role })
  })
})
