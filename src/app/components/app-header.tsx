/** The bar at the top: the product, the node's state, installing, and the update prompt. */
import { InstallButton } from './install-button.tsx'
import { NodeStatusLine } from './node-status.tsx'
import { UpdatePrompt } from './offline-status.tsx'

export function AppHeader () {
  return (
    <header className='app-header'>
      <div className='app-header-row'>
        <img className='logo' src='/favicon.svg' alt='' width={32} height={32} />
        <h1>Threads</h1>
        <NodeStatusLine />
        <InstallButton />
      </div>
      <UpdatePrompt />
    </header>
  )
}
