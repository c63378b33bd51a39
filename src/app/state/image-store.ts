/**
 * URLs of photos' images (data URLs for thumbnails, object URLs for larger
 * ones), loaded on demand and kept for the most recently shown few hundred: a grid of 10,000 photos holds only what was
 * near the screen lately. Loads run a few at a time so a fast scroll does not
 * queue thousands of requests ahead of what is on screen now, and what left
 * the screen before its turn came is not loaded at all. Images asked
 * for before the background node answers (the album shown from the tabs'
 * views) wait for it rather than fail.
 */
import { useEffect } from 'react'
import { create } from 'zustand'
import { photoImage, type PhotoVariant } from '../client/photos.ts'
import { thumbnailUrlOf } from '../client/data-url.ts'
import { pageFailureLog } from '../client/log.ts'
import { useNodeStore } from './node-store.ts'

/** How many images stay loaded. */
const KEEP = 400
/** How many loads run at once. */
const IN_FLIGHT = 6
/** First wait before an image that failed to load is asked for again (if still shown); it doubles each time, up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 2_000
const RETRY_MAX_MS = 60_000
/** Failures that trying again cannot mend: the photo is gone, or its thumbnail is refused for its size. */
const FINAL = new Set(['PhotoNotFoundError', 'ThumbnailTooLargeError'])

const keyOf = (thread: string, photo: string, variant: PhotoVariant): string => `${thread}/${photo}/${variant}`

/** Loaded images by key, and what failed to load. */
export interface ImageStore {
  readonly urls: Readonly<Record<string, string>>
  readonly failed: Readonly<Record<string, true>>
  /** Asks for an image (once); it appears in {@link urls} when loaded. */
  want(thread: string, photo: string, variant: PhotoVariant): void
  /** No longer asks for an image that has not started loading (it left the screen first). */
  unwant(thread: string, photo: string, variant: PhotoVariant): void
  /** Images already at hand (read from the tabs' views before the node started), by photo, shown for every size until the node gives its own. */
  seed(thread: string, images: ReadonlyMap<string, string>): void
}

/** A URL showing `blob`: thumbnails, hundreds of which come and go while the grid scrolls, as data URLs (data-url.ts). */
async function urlOf (blob: Blob, variant: PhotoVariant): Promise<string> {
  return variant === 'thumbnail' ? await thumbnailUrlOf(blob) : URL.createObjectURL(blob)
}

const queue: Array<[string, string, PhotoVariant]> = []
const asked = new Set<string>()
/** Failures so far of images that failed to load, by key: how long before the next try. */
const failures = new Map<string, number>()
let running = 0
const log = pageFailureLog('images')

export const useImageStore = create<ImageStore>()((set, get) => {
  /** While the node has not answered: the one subscription that pumps once it has. */
  let stopWaiting: (() => void) | undefined
  const pump = (): void => {
    if (useNodeStore.getState().client === undefined) {
      stopWaiting ??= useNodeStore.subscribe(({ client }) => {
        if (client === undefined) return
        stopWaiting?.()
        stopWaiting = undefined
        pump()
      })
      return
    }
    while (running < IN_FLIGHT && queue.length > 0) {
      // Newest wishes first: what was asked for last is what the screen shows now.
      const [thread, photo, variant] = queue.pop()!
      const key = keyOf(thread, photo, variant)
      running++
      photoImage(thread, photo, variant).then(async (blob) => await urlOf(blob, variant)).then((url) => {
        const urls = { ...get().urls, [key]: url }
        const keys = Object.keys(urls)
        // Oldest first in insertion order: forget those beyond the budget.
        for (const old of keys.slice(0, Math.max(0, keys.length - KEEP))) {
          if (urls[old]!.startsWith('blob:')) URL.revokeObjectURL(urls[old]!)
          delete urls[old]
          asked.delete(old)
        }
        failures.delete(key)
        set({ urls })
      }, (error: unknown) => {
        log(`loading ${key}`, error)
        set({ failed: { ...get().failed, [key]: true } })
        if (FINAL.has((error as Error).name)) return
        // Peers that did not answer in time may later: a tile still shown asks again, less often each time.
        const tries = (failures.get(key) ?? 0) + 1
        failures.set(key, tries)
        setTimeout(() => {
          const { [key]: _, ...failed } = get().failed
          asked.delete(key)
          set({ failed })
        }, Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (tries - 1)))
      }).finally(() => {
        running--
        pump()
      })
    }
  }
  return {
    urls: {},
    failed: {},
    seed (thread, images) {
      const urls = { ...get().urls }
      for (const [photo, url] of images) {
        for (const variant of ['thumbnail', 'preview'] as const) urls[keyOf(thread, photo, variant)] ??= url
      }
      set({ urls })
    },
    want (thread, photo, variant) {
      const key = keyOf(thread, photo, variant)
      if (asked.has(key)) return
      asked.add(key)
      queue.push([thread, photo, variant])
      pump()
    },
    unwant (thread, photo, variant) {
      const index = queue.findIndex(([t, p, v]) => t === thread && p === photo && v === variant)
      if (index === -1) return
      queue.splice(index, 1)
      asked.delete(keyOf(thread, photo, variant))
    }
  }
})

/** The loaded URL of an image, asking for it when missing while shown. */
export function useImage (thread: string, photo: string, variant: PhotoVariant, enabled = true): { url: string | undefined, failed: boolean } {
  const key = keyOf(thread, photo, variant)
  const url = useImageStore((s) => s.urls[key])
  const failed = useImageStore((s) => s.failed[key] === true)
  useEffect(() => {
    if (!enabled || url !== undefined || failed) return
    useImageStore.getState().want(thread, photo, variant)
    // A grid scrolled fast passes hundreds of photos: those gone before their turn are not loaded.
    return () => { useImageStore.getState().unwant(thread, photo, variant) }
  }, [thread, photo, variant, enabled, url, failed])
  return { url, failed }
}
