/**
 * Whether the app is available offline, and whether an update waits. Fed by the
 * service worker's events.
 */
import { create } from 'zustand'
import type { WireError } from '../../protocol/messages.ts'
import { toWireError } from '../../protocol/errors.ts'
import { registerServiceWorker, serviceWorkersSupported } from '../client/service-worker.ts'

/** Where offline availability stands. */
export type OfflineStatus =
  | { readonly state: 'idle' }
  | { readonly state: 'registering' }
  | { readonly state: 'ready' }
  | { readonly state: 'update-available'; readonly apply: () => Promise<void> }
  | { readonly state: 'unsupported' }
  | { readonly state: 'failed'; readonly error: WireError }

/** State and actions of the offline store. */
export interface OfflineStore {
  readonly status: OfflineStatus
  /** Registers the service worker once. */
  register(): void
}

/** The app's offline store. */
export const useOfflineStore = create<OfflineStore>()((set, get) => ({
  status: { state: 'idle' },
  register () {
    if (get().status.state !== 'idle') return
    if (!serviceWorkersSupported()) {
      set({ status: { state: 'unsupported' } })
      return
    }
    set({ status: { state: 'registering' } })
    registerServiceWorker({
      onReady: () => {
        // A waiting update outranks "ready": the user still has to act on it.
        if (get().status.state !== 'update-available') set({ status: { state: 'ready' } })
      },
      onUpdate: (apply) => set({ status: { state: 'update-available', apply } }),
      onError: (error) => set({ status: { state: 'failed', error: toWireError(error) } })
    })
  }
}))
