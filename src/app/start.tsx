/**
 * Renders the app, showing what the node last wrote for tabs (read by main.tsx
 * while this code loaded), then starts the two background pieces. They are
 * started here, once per page load, rather than in effects, which React may run twice.
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app.tsx'
import type { CachedViews } from './client/cached-views.ts'
import { pageFailureLog } from './client/log.ts'
import { useAlbumStore } from './state/album-store.ts'
import { useNodeStore } from './state/node-store.ts'
import { useOfflineStore } from './state/offline-store.ts'

/** Renders the app into #root; `cached` is what the node last wrote for tabs, being read. */
export function start (cached: Promise<CachedViews | undefined>): void {
  const root = document.getElementById('root')
  if (root === null) throw new Error('index.html has no #root element')
  // What the node last wrote for tabs shows at once (usually read before this code arrived, so
  // the first render is the album). The node is started once that is read, so starting it does
  // not hold up the first screen; it then reports the album as it is.
  cached
    .then((views) => { if (views !== undefined) useAlbumStore.getState().showCached(views) },
      (error: unknown) => { pageFailureLog('cached-views')('reading the albums kept for tabs', error) })
    .finally(() => { void useNodeStore.getState().connect() })
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>
  )
  useOfflineStore.getState().register()
}
