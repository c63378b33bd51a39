/**
 * Reads, read-only, the views the node keeps for tabs in IndexedDB
 * (src/protocol/tab-views.ts), so the albums, names and first thumbnails show
 * before the background node has started. Nothing is written here: when the
 * database does not exist yet (the node never ran), there is nothing to show.
 */
import { openDB } from 'idb'
import { dataUrlOf } from './data-url.ts'
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

/** The album list and album `thread` as the node last wrote them; undefined when the node never wrote any. */
export async function readCachedViews (thread: string | null): Promise<CachedViews | undefined> {
  // Opening a database that does not exist would create it empty, without the node's stores.
  const known = await indexedDB.databases()
  if (!known.some((d) => d.name === TAB_VIEWS_DATABASE)) return undefined
  const db = await openDB(TAB_VIEWS_DATABASE)
  try {
    if (!Object.values(TAB_VIEW_STORES).every((s) => db.objectStoreNames.contains(s))) return undefined
    const tx = db.transaction([TAB_VIEW_STORES.list, TAB_VIEW_STORES.albums, TAB_VIEW_STORES.images], 'readonly')
    const albums = (await tx.objectStore(TAB_VIEW_STORES.list).get(LIST_KEY) as CachedList | undefined) ?? []
    const view = thread === null ? undefined : await tx.objectStore(TAB_VIEW_STORES.albums).get(thread) as CachedAlbum | undefined
    if (view === undefined) return { albums }
    const store = tx.objectStore(TAB_VIEW_STORES.images)
    const newest = view.photos.filter((p) => p.hasImage).slice(0, CACHED_IMAGES)
    const found = await Promise.all(newest.map(async (p) => await store.get(imageKey(view.thread, p.id)) as CachedImage | undefined))
    const images = new Map(await Promise.all(newest.flatMap((p, i) => {
      const image = found[i]
      // One past the thumbnail cap (written by another version) is not shown from here: the node refuses it in words when asked.
      return image === undefined || image.image.byteLength > MEDIA_MESSAGE_LIMITS.maxThumbnailBytes ? [] : [dataUrlOf(new Blob([image.image as Uint8Array<ArrayBuffer>], { type: image.imageType })).then((url) => [p.id, url] as const)]
    })))
    return { albums, album: { view, images } }
  } finally {
    db.close()
  }
}
