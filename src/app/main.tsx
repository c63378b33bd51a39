/**
 * Browser entry, kept small so it runs as soon as it arrives: it starts
 * reading what the node last wrote for tabs from IndexedDB and, at the same
 * time, loading the app itself (start.tsx, most of the page's code), so the
 * album shows as soon as both are in, before the background node has started.
 */
import { LAST_ALBUM, readCachedViews } from './client/cached-views.ts'
import './styles.css'

const cached = readCachedViews(localStorage.getItem(LAST_ALBUM))
import('./start.tsx').then(({ start }) => { start(cached) }, (error: unknown) => {
  // Nothing of the page can show: say so where the app would have been.
  const root = document.getElementById('root')
  if (root !== null) root.textContent = 'Threads could not load. Reload the page to try again.'
  throw error
})
