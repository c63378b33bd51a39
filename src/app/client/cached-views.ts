/**
 * Reads, read-only, the views the node keeps for tabs in IndexedDB
 * (src/protocol/tab-views.ts), so the albums, names and first thumbnails show
 * before the background node has started. Nothing is written here: when the
 * database does not exist yet (the node never ran), there is nothing to show.
 * Everything is asked for at once, in one transaction, so the first screen
 * waits for IndexedDB once rather than once per read: on a busy page each
 * answer waits its turn behind whatever the page is doing.
 */
import { openDB, type IDBPDatabase } from 'idb'
import { dataUrlOf } from './data-url.ts'
import { pageFailureLog } from './log.ts'
import { MEDIA_MESSAGE_LIMITS } from '../../protocol/media-messages.ts'
import { CACHED_IMAGES, imageKey, LIST_KEY, TAB_VIEW_STORES, TAB_VIEWS_DATABASE, type CachedAlbum, type CachedImage, type CachedList } from '../../protocol/tab-views.ts'

/** Where the album shown last is remembered, so a reload opens it again (and its view is read here first). */
export const LAST_ALBUM = 'threads.lastAlbum'

/** What the tab can show at once. */
export interface CachedViews {
  readonly albums: CachedList
  /** The album asked for, as last reported, with data URLs of its cached images by photo. */
  readonly album?: { readonly view: CachedAlbum, readonly images: ReadonlyMap<string, string> }
}

/** The database of the tabs' views if the node made it; undefined, and nothing created, otherwise. */
async function openExisting (): Promise<IDBPDatabase | undefined> {
  try {
    // Opening without a version creates a missing database (empty, without the node's stores):
    // aborting that creation leaves none, and costs no separate look-up of which databases exist.
    return await openDB(TAB_VIEWS_DATABASE, undefined, {
      upgrade (_database, _from, _to, transaction) {
        // The creation's transaction ends in the abort asked for here (the open then says so below); anything else is told.
        transaction.done.catch((error: unknown) => { if (!aborted(error)) pageFailureLog('cached-views')('giving up creating the tabs\' views', error) })
        transaction.abort()
      }
    })
  } catch (error) {
    if (aborted(error)) return undefined
    throw error
  }
}

const aborted = (error: unknown): boolean => error instanceof DOMException && error.name === 'AbortError'

/** The album list and album `thread` as the node last wrote them; undefined when the node never wrote any. */
export async function readCachedViews (thread: string | null): Promise<CachedViews | undefined> {
  const db = await openExisting()
  if (db === undefined) return undefined
  try {
    if (!Object.values(TAB_VIEW_STORES).every((s) => db.objectStoreNames.contains(s))) return undefined
    const tx = db.transaction([TAB_VIEW_STORES.list, TAB_VIEW_STORES.albums, TAB_VIEW_STORES.images], 'readonly')
    const images = tx.objectStore(TAB_VIEW_STORES.images)
    // The node keeps an album's images under `thread/photo`, only for its newest photos: read them with the view, not after it.
    const range = thread === null ? null : IDBKeyRange.bound(imageKey(thread, ''), imageKey(thread, '\uffff'))
    const [list, view, keys, values] = await Promise.all([
      tx.objectStore(TAB_VIEW_STORES.list).get(LIST_KEY) as Promise<CachedList | undefined>,
      thread === null ? undefined : tx.objectStore(TAB_VIEW_STORES.albums).get(thread) as Promise<CachedAlbum | undefined>,
      range === null ? [] : images.getAllKeys(range, CACHED_IMAGES * 2),
      range === null ? [] : images.getAll(range, CACHED_IMAGES * 2) as Promise<CachedImage[]>
    ])
    const albums = list ?? []
    if (view === undefined) return { albums }
    const held = new Map(keys.map((key, i) => [String(key), values[i]!]))
    const newest = view.photos.filter((p) => p.hasImage).slice(0, CACHED_IMAGES)
    const shown = await Promise.all(newest.flatMap((p) => {
      const image = held.get(imageKey(view.thread, p.id))
      // One past the thumbnail cap (written by another version) is not shown from here: the node refuses it in words when asked.
      return image === undefined || image.image.byteLength > MEDIA_MESSAGE_LIMITS.maxThumbnailBytes ? [] : [dataUrlOf(new Blob([image.image as Uint8Array<ArrayBuffer>], { type: image.imageType })).then((url) => [p.id, url] as const)]
    }))
    return { albums, album: { view, images: new Map(shown) } }
  } finally {
    db.close()
  }
}
