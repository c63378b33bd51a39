/**
 * Browser entry: renders the app, then starts the two background pieces. They are
 * started here, once per page load, rather than in effects, which React may run twice.
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app.tsx'
import { readCachedViews } from './client/cached-views.ts'
import { pageFailureLog } from './client/log.ts'
import { LAST_ALBUM, useAlbumStore } from './state/album-store.ts'
import { useNodeStore } from './state/node-store.ts'
import { useOfflineStore } from './state/offline-store.ts'
import './styles.css'

const root = document.getElementById('root')
if (root === null) throw new Error('index.html has no #root element')

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>
)

// What the node last wrote for tabs shows at once. The node is started once that is read (a few ms),
// so starting it does not hold up the first screen; it then reports the album as it is.
readCachedViews(localStorage.getItem(LAST_ALBUM))
  .then((views) => { if (views !== undefined) useAlbumStore.getState().showCached(views) },
    (error: unknown) => { pageFailureLog('cached-views')('reading the albums kept for tabs', error) })
  .finally(() => { void useNodeStore.getState().connect() })
useOfflineStore.getState().register()
