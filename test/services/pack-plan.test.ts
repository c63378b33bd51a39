/**
 * Planning a publication's thumbnail packs from the ones built before: packs
 * whose thumbnails are all still shown are reused, the last reopened only when
 * something new would join it, and a removed photo's thumbnail never packed again.
 */
import { describe, expect, it } from 'vitest'
import { planPacks } from '../../src/services/pack-plan.ts'

const built = [
  { cid: 'p1', members: ['a', 'b', 'c'] },
  { cid: 'p2', members: ['d', 'e'] },
  { cid: 'p3', members: ['f'] }
]

describe('planning thumbnail packs', () => {
  it('reuses every pack while nothing changed, and packs everything the first time', () => {
    expect(planPacks(built, ['a', 'b', 'c', 'd', 'e', 'f'])).toEqual({ kept: built, fresh: [] })
    expect(planPacks([], ['a', 'b'])).toEqual({ kept: [], fresh: ['a', 'b'] })
  })

  it('reopens the last pack for new thumbnails, keeping the ones before it', () => {
    expect(planPacks(built, ['a', 'b', 'c', 'd', 'e', 'f', 'g'])).toEqual({ kept: built.slice(0, 2), fresh: ['f', 'g'] })
  })

  it('makes a pack that lost a thumbnail again from the rest, and never packs the removed one', () => {
    const plan = planPacks(built, ['a', 'c', 'd', 'e', 'f'])
    expect(plan.kept.map((p) => p.cid)).toEqual(['p2'])
    expect(plan.fresh).toEqual(['a', 'c', 'f'])
    expect(plan.fresh).not.toContain('b')
  })

  it('does not reopen the last pack for thumbnails the last publication could not pack', () => {
    expect(planPacks(built, ['a', 'b', 'c', 'x', 'd', 'e', 'f'], new Set(['x']))).toEqual({ kept: built, fresh: ['x'] })
  })
})
