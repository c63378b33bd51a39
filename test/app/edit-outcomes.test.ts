/** Telling a person that a concurrent edit won over theirs, and only then. */
import { describe, expect, it } from 'vitest'
import { concurrentLosses, WATCH_MS } from '../../src/app/state/edit-outcomes.ts'

const edit = { photo: 'p', title: 'Mine', from: 'Old', at: 1000 }

describe('concurrent edit outcomes', () => {
  it('says so when the album shows another caption than the one set here', () => {
    expect(concurrentLosses([edit], [{ id: 'p', title: 'Theirs' }], 2000)).toEqual({ lost: [{ ...edit, now: 'Theirs' }], watching: [] })
  })

  it('keeps watching while the album shows this caption, or still the one before (a report taken before the edit)', () => {
    expect(concurrentLosses([edit], [{ id: 'p', title: 'Mine' }], 2000)).toEqual({ lost: [], watching: [edit] })
    expect(concurrentLosses([edit], [{ id: 'p', title: 'Old' }], 2000)).toEqual({ lost: [], watching: [edit] })
  })

  it('stops watching after a while, and when the photo is gone', () => {
    expect(concurrentLosses([edit], [{ id: 'p', title: 'Theirs' }], 1000 + WATCH_MS + 1)).toEqual({ lost: [], watching: [] })
    expect(concurrentLosses([edit], [], 2000)).toEqual({ lost: [], watching: [] })
  })
})
