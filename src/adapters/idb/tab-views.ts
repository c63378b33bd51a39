/**
 * Writes the views tabs read before the node starts (src/protocol/tab-views.ts):
 * the album list and each followed album as last reported, with the images of
 * its newest photos. Writes of one album are gathered (at most one every
 * {@link WRITE_EVERY_MS}) so adding hundreds of photos costs a few writes, and
 * only images not held yet are written. A failed write is logged: the tabs'
 * views are a head start, the node's own storage stays the truth.
 */
import { openDB, type IDBPDatabase } from 'idb'
import type { AlbumSnapshot } from '../../protocol/album-messages.ts'
import { CACHED_IMAGES, imageKey, LIST_KEY, TAB_VIEW_STORES, TAB_VIEWS_DATABASE, TAB_VIEWS_VERSION, type CachedAlbum, type CachedImage, type TabViewsWriter } from '../../protocol/tab-views.ts'

/** How often one album's view is written at most (ms). */
export const WRITE_EVERY_MS = 1000

/** Opens (creating where missing) the tabs' views database; `onError` hears every failed write. */
export async function openTabViews ({ onError }: { onError: (what: string, error: unknown) => void }): Promise<TabViewsWriter> {
  const db: IDBPDatabase = await openDB(TAB_VIEWS_DATABASE, TAB_VIEWS_VERSION, {
    upgrade (database) {
      for (const store of Object.values(TAB_VIEW_STORES)) database.createObjectStore(store)
    }
  })
  const due = new Map<string, { snapshot: AlbumSnapshot, image: (photo: string) => Promise<CachedImage | undefined> }>()
  let timer: ReturnType<typeof setTimeout> | undefined

  async function write (snapshot: AlbumSnapshot, image: (photo: string) => Promise<CachedImage | undefined>): Promise<void> {
    const { sync: _sync, revision: _revision, ...album } = snapshot
    const view: CachedAlbum = album
    const wanted = snapshot.photos.filter((p) => p.hasImage).slice(0, CACHED_IMAGES).map((p) => p.id)
    const range = IDBKeyRange.bound(`${snapshot.thread}/`, `${snapshot.thread}/\uffff`)
    const held = new Set((await db.getAllKeys(TAB_VIEW_STORES.images, range)).map(String))
    const keep = new Set(wanted.map((photo) => imageKey(snapshot.thread, photo)))
    // Read before the transaction opens: a transaction waiting on anything but itself commits early.
    const found = new Map<string, CachedImage>()
    for (const photo of wanted) {
      if (held.has(imageKey(snapshot.thread, photo))) continue
      const cached = await image(photo)
      if (cached !== undefined) found.set(imageKey(snapshot.thread, photo), cached)
    }
    const tx = db.transaction([TAB_VIEW_STORES.albums, TAB_VIEW_STORES.images], 'readwrite')
    const images = tx.objectStore(TAB_VIEW_STORES.images)
    const writes: Array<Promise<unknown>> = [tx.objectStore(TAB_VIEW_STORES.albums).put(view, snapshot.thread)]
    for (const key of held) if (!keep.has(key)) writes.push(images.delete(key))
    for (const [key, cached] of found) writes.push(images.put(cached, key))
    await Promise.all([...writes, tx.done])
  }

  const flush = (): void => {
    timer = undefined
    const batch = [...due.values()]
    due.clear()
    for (const { snapshot, image } of batch) write(snapshot, image).catch((error: unknown) => { onError(`writing the tabs' view of ${snapshot.thread}`, error) })
  }

  return {
    list (albums) {
      db.put(TAB_VIEW_STORES.list, albums, LIST_KEY).catch((error: unknown) => { onError('writing the tabs\' album list', error) })
    },
    album (snapshot, image) {
      due.set(snapshot.thread, { snapshot, image })
      timer ??= setTimeout(flush, WRITE_EVERY_MS)
    },
    forget (thread) {
      due.delete(thread)
      const tx = db.transaction([TAB_VIEW_STORES.albums, TAB_VIEW_STORES.images], 'readwrite')
      Promise.all([
        tx.objectStore(TAB_VIEW_STORES.albums).delete(thread),
        tx.objectStore(TAB_VIEW_STORES.images).delete(IDBKeyRange.bound(`${thread}/`, `${thread}/\uffff`)),
        tx.done
      ]).catch((error: unknown) => { onError(`removing the tabs' view of ${thread}`, error) })
    }
  }
}
