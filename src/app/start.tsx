/**
 * Renders the app, showing what the node last wrote for tabs (read by main.tsx
 * while this code loaded), then starts the two background pieces. They are
 * started here, once per page load, rather than in effects, which React may run twice.
 *
 * The first screen comes first: the page renders once the tabs' views are read
 * (or after {@link FIRST_SCREEN_WAIT_MS}, whichever is sooner), so an album
 * opens in one render rather than after a list of albums rendered for nothing;
 * and the background node, whose start keeps both cores busy for a while, is
 * started once that screen has been painted.
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app.tsx'
import type { CachedViews } from './client/cached-views.ts'
import { pageFailureLog } from './client/log.ts'
import { useAlbumStore } from './state/album-store.ts'
import { useNodeStore } from './state/node-store.ts'
import { useOfflineStore } from './state/offline-store.ts'

/** How long the first render waits for the tabs' views at most (ms); slower, the page shows and the album follows. */
const FIRST_SCREEN_WAIT_MS = 500

/** Renders the app into #root; `cached` is what the node last wrote for tabs, being read. */
export function start (cached: Promise<CachedViews | undefined>): void {
  const element = document.getElementById('root')
  if (element === null) throw new Error('index.html has no #root element')
  const root = createRoot(element)
  // What the node last wrote for tabs shows at once; the node then reports the album as it is.
  const shown = cached.then((views) => { if (views !== undefined) useAlbumStore.getState().showCached(views) },
    (error: unknown) => { pageFailureLog('cached-views')('reading the albums kept for tabs', error) })
  let painted: () => void = () => {}
  const firstScreen = new Promise<void>((resolve) => { painted = resolve })
  void Promise.race([shown, new Promise((resolve) => setTimeout(resolve, FIRST_SCREEN_WAIT_MS))]).then(() => {
    root.render(
      <StrictMode>
        <App onShown={painted} />
      </StrictMode>
    )
  })
  void Promise.all([shown, firstScreen]).then(afterNextPaint).then(() => { void useNodeStore.getState().connect() })
  useOfflineStore.getState().register()
}

/** The longest the node's start waits for a paint: a tab opened in the background paints no frames until shown. */
const PAINT_WAIT_MS = 1000

/** Resolves once the frame being prepared has been painted, or after PAINT_WAIT_MS when no frame comes. */
async function afterNextPaint (): Promise<void> {
  await new Promise<void>((resolve) => {
    requestAnimationFrame(() => { setTimeout(resolve, 0) })
    setTimeout(resolve, PAINT_WAIT_MS)
  })
}
