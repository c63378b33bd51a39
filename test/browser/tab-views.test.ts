/**
 * The views tabs read before the node starts, in real Chromium's IndexedDB:
 * what the node writes (the album list, an album without its sync, the images
 * of its newest photos) is what a tab reads back, read-only; a tab finds
 * nothing, and creates nothing, where the node never wrote; a forgotten album
 * is gone.
 */
import { describe, expect, it, vi } from 'vitest'
import { openTabViews } from '../../src/adapters/idb/tab-views.ts'
import { readCachedViews } from '../../src/app/client/cached-views.ts'
import type { AlbumSnapshot } from '../../src/protocol/album-messages.ts'
import { CACHED_IMAGES, TAB_VIEWS_DATABASE } from '../../src/protocol/tab-views.ts'

const deleted = async (): Promise<void> => await new Promise((resolve, reject) => {
  const request = indexedDB.deleteDatabase(TAB_VIEWS_DATABASE)
  request.onsuccess = () => { resolve() }
  request.onerror = () => { reject(request.error) }
})

const snapshot = (photos: number): AlbumSnapshot => ({
  thread: 'album-1',
  revision: 7,
  name: 'Summer',
  photos: Array.from({ length: photos }, (_, i) => ({ id: `p${i}`, title: `Photo ${i}`, addedAt: 1000 - i, by: 'Alice', author: 'log-a', hasImage: true })),
  sync: { state: 'synced', pending: 0, direct: 0 },
  members: [{ log: 'log-a', name: 'Alice', role: 'admin', owner: true, you: true }],
  access: { role: 'admin', state: 'member' }
})

describe('tab views', () => {
  it('finds nothing, and creates nothing, where the node never wrote', async () => {
    await deleted()
    expect(await readCachedViews('album-1')).toBeUndefined()
    expect((await indexedDB.databases()).map((d) => d.name)).not.toContain(TAB_VIEWS_DATABASE)
  })

  it('reads back what the node wrote: the list, the album without its sync, and the images of its newest photos', async () => {
    await deleted()
    const failures: unknown[] = []
    const views = await openTabViews({ onError: (_what, error) => { failures.push(error) } })
    const asked: string[] = []
    views.list([{ id: 'album-1', name: 'Summer', photos: 30, cover: 'p0' }])
    views.album(snapshot(30), async (photo) => { asked.push(photo); return { image: new Uint8Array([0xff, 0xd8, Number(photo.slice(1))]), imageType: 'image/jpeg' } })
    const read = await vi.waitFor(async () => {
      const found = await readCachedViews('album-1')
      expect(found?.album).toBeDefined()
      return found!
    }, { timeout: 10_000, interval: 100 })
    expect(read.albums).toEqual([{ id: 'album-1', name: 'Summer', photos: 30, cover: 'p0' }])
    expect(read.album!.view).not.toHaveProperty('sync')
    expect(read.album!.view.photos).toHaveLength(30)
    expect(read.album!.view.members[0]!.name).toBe('Alice')
    expect([...read.album!.images.keys()]).toEqual(Array.from({ length: CACHED_IMAGES }, (_, i) => `p${i}`))
    const bytes = new Uint8Array(await (await fetch(read.album!.images.get('p3')!)).arrayBuffer())
    expect([...bytes]).toEqual([0xff, 0xd8, 3])
    expect(asked).toHaveLength(CACHED_IMAGES)

    // Written again, only images not held yet are asked for.
    asked.length = 0
    const next = snapshot(31)
    views.album({ ...next, photos: [{ ...next.photos[0]!, id: 'new' }, ...snapshot(30).photos] }, async (photo) => { asked.push(photo); return { image: new Uint8Array([1]), imageType: 'image/jpeg' } })
    await vi.waitFor(async () => { expect((await readCachedViews('album-1'))?.album?.images.has('new')).toBe(true) }, { timeout: 10_000, interval: 100 })
    expect(asked).toEqual(['new'])

    views.forget('album-1')
    await vi.waitFor(async () => { expect((await readCachedViews('album-1'))?.album).toBeUndefined() }, { timeout: 10_000, interval: 100 })
    expect(failures).toEqual([])
  })
})
