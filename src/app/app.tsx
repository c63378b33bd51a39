/** The app shell: the header, then the home screen or the album shown, and a quiet footer. */
import { useEffect } from 'react'
import { AppHeader } from './components/app-header.tsx'
import { ConnectionSettings } from './components/connection-settings.tsx'
import { OfflineStatusLine } from './components/offline-status.tsx'
import { AlbumScreen } from './screens/album-screen.tsx'
import { HomeScreen } from './screens/home-screen.tsx'
import { useAlbumStore } from './state/album-store.ts'
import { useNodeStore } from './state/node-store.ts'
import { useUiStore } from './state/ui-store.ts'

/** `onShown` is called once the first screen is in the page (its effects run after it is painted). */
export function App ({ onShown }: { onShown?: () => void } = {}) {
  const screen = useUiStore((s) => s.screen)
  const current = useAlbumStore((s) => s.current)
  useStartup()
  useEffect(() => { onShown?.() }, [onShown])
  useEffect(() => { document.title = screen === 'album' && current !== undefined ? `${useAlbumStore.getState().name || 'Album'} · Threads` : 'Threads' }, [screen, current])
  return (
    <>
      <a className='skip-link' href='#main'>Skip to content</a>
      <AppHeader />
      <main id='main' tabIndex={-1} className='shell'>
        {screen === 'album' && current !== undefined ? <AlbumScreen /> : <HomeScreen />}
      </main>
      <footer className='shell footer'>
        <ConnectionSettings />
        <OfflineStatusLine />
      </footer>
    </>
  )
}

/** Once the node answers: join the album of an invite link in the address, or list the albums here. */
function useStartup (): void {
  const ready = useNodeStore((s) => s.status.state === 'ready')
  useEffect(() => {
    if (!ready) return
    const store = useAlbumStore.getState()
    const link = location.hash.includes('invite=') ? location.href : undefined
    if (link !== undefined) {
      history.replaceState(null, '', location.pathname) // the keys leave the address bar
      void store.join(link)
    } else void store.refreshAlbums()
  }, [ready])
}
