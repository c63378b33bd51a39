/** The album's line about this device's own originals, as a person reads it. */
import { describe, expect, it } from 'vitest'
import { ownOriginalsWords } from '../../src/app/components/own-originals-words.ts'

describe('own originals in words', () => {
  it('says how many are held by a backup server and how many only on this device', () => {
    expect(ownOriginalsWords({ own: 5, confirmed: 3 })).toBe('Of the 5 originals you added here, 3 are held by a backup server and 2 only on this device.')
    expect(ownOriginalsWords({ own: 2, confirmed: 1 })).toBe('Of the 2 originals you added here, 1 is held by a backup server and 1 only on this device.')
    expect(ownOriginalsWords({ own: 4, confirmed: 4 })).toBe('All 4 originals you added here are held by a backup server.')
    expect(ownOriginalsWords({ own: 1, confirmed: 1 })).toBe('The original you added here is held by a backup server.')
    expect(ownOriginalsWords({ own: 3, confirmed: 0 })).toBe('The 3 originals you added here are only on this device so far.')
    expect(ownOriginalsWords({ own: 1, confirmed: 0 })).toBe('The original you added here is only on this device so far.')
  })
})
