/**
 * Service worker: keeps the app shell available offline.
 *
 * Guarantees: every file of the build (listed into `self.__WB_MANIFEST` at build
 * time) is precached at install; navigations are answered with the cached
 * index.html, so the app opens with no network. A new version waits until the
 * user accepts it (the page posts SKIP_WAITING), so a running tab never has its
 * files swapped underneath it.
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'

// This file is typed with the DOM library (one tsconfig for the browser side), which
// lacks ServiceWorkerGlobalScope; these are the members of it the worker uses.
interface ServiceWorkerScope {
  readonly __WB_MANIFEST: Array<PrecacheEntry | string>
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
  skipWaiting(): Promise<void>
}

declare const self: ServiceWorkerScope

self.addEventListener('message', (event) => {
  if (isSkipWaiting(event.data)) void self.skipWaiting()
})

precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')))

function isSkipWaiting (data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'SKIP_WAITING'
}
