/**
 * Registers the service worker that keeps the app available offline, and reports
 * what happens to it. Registration is asked for explicitly (not injected by the
 * build) so that its outcome reaches the UI.
 */
import { registerSW } from 'virtual:pwa-register'
import { OUTBOX_SYNC_TAG } from '../../protocol/shared-names.ts'
import { pageFailureLog } from './log.ts'

/** What the service worker can tell the app. */
export interface ServiceWorkerEvents {
  /** A service worker is active: the app shell is cached and loads offline. */
  onReady(): void
  /** A new version is installed and waits; call the given function to switch to it and reload. */
  onUpdate(apply: () => Promise<void>): void
  onError(error: unknown): void
}

/** False when the browser cannot run service workers (for example on plain http off localhost). */
export function serviceWorkersSupported (): boolean {
  return 'serviceWorker' in navigator
}

/** Registers `/sw.js` (built from src/sw.ts) and forwards its events. */
export function registerServiceWorker (events: ServiceWorkerEvents): void {
  const updateSW = registerSW({
    onOfflineReady: events.onReady,
    onNeedRefresh: () => { events.onUpdate(() => updateSW(true)) },
    onRegisterError: events.onError,
    onRegisteredSW: () => {
      // Registered is not yet active: wait until a worker controls the cache.
      navigator.serviceWorker.ready.then(() => events.onReady(), events.onError)
    }
  })
}

/**
 * Asks the service worker to send waiting records to the follower once it can
 * and no tab runs the node (Background Sync; Chromium-based browsers). Elsewhere
 * the records simply wait for the next time the app is open.
 */
export function requestOutboxFlush (): void {
  if (!serviceWorkersSupported()) return
  navigator.serviceWorker.ready
    .then(async (registration) => {
      const sync = (registration as ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }).sync
      await sync?.register(OUTBOX_SYNC_TAG)
    })
    .catch((error: unknown) => { pageFailureLog('service-worker')('registering the outbox Background Sync', error) })
}
