/**
 * Planning a publication's thumbnail packs from the ones built before: packs
 * whose thumbnails are all still shown are reused, the last reopened only when
 * something new would join it, and a removed photo's thumbnail never packed again.
 */
import { describe, expect, it } from 'vitest'
import { planPacks } from '../../src/services/pack-plan.ts'

const MAX = 1000
const built = [
  { cid: 'p1', members: ['a', 'b', 'c'], bytes: 990 },
  { cid: 'p2', members: ['d', 'e'], bytes: 980 },
  { cid: 'p3', members: ['f'], bytes: 300 }
]
const plan = (shown: string[], left?: Set<string>, packs = built) => planPacks({ built: packs, shown, maxBytes: MAX, ...(left === undefined ? {} : { left }) })

describe('planning thumbnail packs', () => {
  it('reuses every pack while nothing changed, and packs everything the first time', () => {
    expect(plan(['a', 'b', 'c', 'd', 'e', 'f'])).toEqual({ kept: built, fresh: [] })
    expect(plan(['a', 'b'], undefined, [])).toEqual({ kept: [], fresh: ['a', 'b'] })
  })

  it('reopens the last pack for new thumbnails, keeping the ones before it', () => {
    expect(plan(['a', 'b', 'c', 'd', 'e', 'f', 'g'])).toEqual({ kept: built.slice(0, 2), fresh: ['f', 'g'] })
  })

  it('makes a pack that lost a thumbnail again from the rest, and never packs the removed one', () => {
    const made = plan(['a', 'c', 'd', 'e', 'f'])
    expect(made.kept.map((p) => p.cid)).toEqual(['p2'])
    expect(made.fresh).toEqual(['a', 'c', 'f'])
    expect(made.fresh).not.toContain('b')
  })

  it('does not reopen a last pack without room for about one more of its thumbnails', () => {
    const full = [built[0]!, { cid: 'p3', members: ['f', 'g'], bytes: 700 }]
    expect(plan(['a', 'b', 'c', 'f', 'g', 'h'], undefined, full)).toEqual({ kept: full, fresh: ['h'] })
  })

  it('does not reopen the last pack for thumbnails the last publication could not pack', () => {
    expect(plan(['a', 'b', 'c', 'x', 'd', 'e', 'f'], new Set(['x']))).toEqual({ kept: built, fresh: ['x'] })
  })
})
