/** The app shell: product header and the status of what runs in the background. */
import { AlbumView } from './components/album-view.tsx'
import { ConnectionSettings } from './components/connection-settings.tsx'
import { NodeStatusLine } from './components/node-status.tsx'
import { OfflineStatusLine } from './components/offline-status.tsx'

/** Root component. */
export function App () {
  return (
    <div className='shell'>
      <header className='header'>
        <img className='logo' src='/favicon.svg' alt='' width={40} height={40} />
        <div>
          <h1>Threads</h1>
          <p className='tagline'>Shared photo albums, kept in your browser and synced peer to peer.</p>
        </div>
      </header>
      <main className='panel' aria-label='Status'>
        <h2>Status</h2>
        <NodeStatusLine />
        <OfflineStatusLine />
      </main>
      <AlbumView />
      <ConnectionSettings />
    </div>
  )
}
