/**
 * Service worker: keeps the app shell available offline.
 *
 * Guarantees: every file of the build (listed into `self.__WB_MANIFEST` at build
 * time) is precached at install; navigations are answered with the cached
 * index.html, so the app opens with no network. A new version waits until the
 * user accepts it (the page posts SKIP_WAITING), so a running tab never has its
 * files swapped underneath it. A Background Sync registered by a page while
 * records wait to be sent flushes them to the follower over HTTP once no tab
 * runs the node (service-worker/flush-outbox.ts).
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'
import { followerUrl, OUTBOX_SYNC_TAG } from './protocol/shared-names.ts'
import { flushOutboxWhenFree } from './service-worker/flush-outbox.ts'

/** A Background Sync event (not in TypeScript's WebWorker library); its promise decides whether the browser tries again later. */
interface SyncEvent extends ExtendableEvent {
  readonly tag: string
}

declare global {
  interface ServiceWorkerGlobalScopeEventMap {
    sync: SyncEvent
  }
}

// The WebWorker library types the global scope as a dedicated worker's; this script runs as a service
// worker, with the precache list Workbox writes in at build time.
declare const self: ServiceWorkerGlobalScope & { readonly __WB_MANIFEST: Array<PrecacheEntry | string> }

self.addEventListener('message', (event) => {
  if (isSkipWaiting(event.data)) void self.skipWaiting()
})

self.addEventListener('sync', (event) => {
  if (event.tag === OUTBOX_SYNC_TAG) event.waitUntil(flushOutboxWhenFree(followerUrl()))
})

precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')))

function isSkipWaiting (data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'SKIP_WAITING'
}
