/**
 * The views tabs read straight from IndexedDB, before the background node has
 * started: the album list, each album as last reported (without its sync,
 * which only a running node knows), and the images of its newest photos. The
 * node alone writes them (src/adapters/idb/tab-views.ts); tabs open them
 * read-only (src/app/client/cached-views.ts). Values are plain structured
 * clones, so a tab needs no codec to read them.
 */
import type { AlbumSnapshot, AlbumSummary } from './album-messages.ts'

/** The IndexedDB database of the tabs' views. */
export const TAB_VIEWS_DATABASE = 'threads-views'
/** Its version; its stores are made when it is first opened at this version. */
export const TAB_VIEWS_VERSION = 1
/** Stores: the album list under {@link LIST_KEY}; albums by thread; images by `thread/photo`. */
export const TAB_VIEW_STORES = { list: 'list', albums: 'albums', images: 'images' } as const
/** The key of the album list in the list store. */
export const LIST_KEY = 'albums'
/** How many of an album's newest photos keep their image here: a first screen of thumbnails. */
export const CACHED_IMAGES = 24

/** An album as last reported, without its sync state. */
export type CachedAlbum = Omit<AlbumSnapshot, 'sync' | 'revision'>

/** A cached image. */
export interface CachedImage {
  readonly image: Uint8Array
  readonly imageType: string
}

/** The album list as last listed. */
export type CachedList = readonly AlbumSummary[]

/** The key of a photo's image. */
export const imageKey = (thread: string, photo: string): string => `${thread}/${photo}`

/** What the node tells the tabs' views (written by src/adapters/idb/tab-views.ts). */
export interface TabViewsWriter {
  /** The album list as just listed. */
  list(albums: readonly AlbumSummary[]): void
  /** An album as just reported; `image` reads a photo's thumbnail from this device (asked for the newest few not held yet). */
  album(snapshot: AlbumSnapshot, image: (photo: string) => Promise<CachedImage | undefined>): void
  /** The album left this device: its view goes too. */
  forget(thread: string): void
}
