/**
 * Album reports during a burst of changes (hundreds of photos added): at most
 * one round of reports per REPORT_EVERY_MS, the first at once, and the last
 * always made after the last change, so followers end up seeing the album as it is.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AlbumSnapshot } from '../../src/protocol/album-messages.ts'
import { createAlbumChanges, REPORT_EVERY_MS, type AlbumReport } from '../../src/services/album-changes.ts'

afterEach(() => { vi.useRealTimers() })

describe('album reports', () => {
  it('coalesces a burst of changes into one report per interval, the last after the last change', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] })
    let photos = 0
    const changes = createAlbumChanges(async (thread) => ({ thread, revision: photos } as unknown as AlbumSnapshot))
    const reports: AlbumReport[] = []
    changes.follow('album', (report) => { reports.push(report) })
    const seen = (): number[] => reports.map((r) => 'snapshot' in r ? r.snapshot.revision : -1)

    // One photo written every 10 ms for 300 ms.
    for (let i = 0; i < 30; i++) {
      photos++
      changes.changed('album')
      await vi.advanceTimersByTimeAsync(10)
    }
    await vi.advanceTimersByTimeAsync(REPORT_EVERY_MS * 2)
    expect(seen()[0]).toBe(1) // the first change is reported at once
    expect(seen().at(-1)).toBe(30) // and the last one always
    expect(reports.length).toBeLessThanOrEqual(300 / REPORT_EVERY_MS + 2)

    // After a quiet spell, a change is reported at once again.
    photos++
    changes.changed('album')
    await vi.advanceTimersByTimeAsync(0)
    expect(seen().at(-1)).toBe(31)
    changes.close()
  })
})
