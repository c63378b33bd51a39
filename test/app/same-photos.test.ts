/** An album report keeps the objects of photos it did not change, so their tiles are not drawn again. */
import { describe, expect, it } from 'vitest'
import { keepUnchanged } from '../../src/app/state/same-photos.ts'
import type { PhotoView } from '../../src/protocol/album-messages.ts'

const photo = (id: string, title = id): PhotoView => ({ id, title, addedAt: 1, by: 'Alice', author: 'log-a', hasImage: true, media: { type: 'image/jpeg', size: 10, width: 4, height: 3 } })

describe('photos kept from one report to the next', () => {
  it('keeps the whole list when a report changes no photo (a sync status)', () => {
    const before = [photo('a'), photo('b')]
    expect(keepUnchanged(before, [photo('a'), photo('b')])).toBe(before)
  })

  it('keeps each unchanged photo and takes the changed, added and moved ones as reported', () => {
    const before = [photo('a'), photo('b'), photo('c')]
    const next = [photo('new'), photo('a'), photo('b', 'Renamed'), { ...photo('c'), media: { type: 'image/jpeg', size: 11, width: 4, height: 3 } }]
    const kept = keepUnchanged(before, next)
    expect(kept).toEqual(next)
    expect(kept[0]).toBe(next[0])
    expect(kept[1]).toBe(before[0])
    expect(kept[2]).toBe(next[2])
    expect(kept[3]).toBe(next[3])
    // A photo removed, or the same photos in another order, is a new list.
    expect(keepUnchanged(before, before.slice(1))).not.toBe(before)
    expect(keepUnchanged(before, [before[1]!, before[0]!, before[2]!])).toEqual([before[1], before[0], before[2]])
    expect(keepUnchanged(before, [before[1]!, before[0]!, before[2]!])).not.toBe(before)
  })
})
