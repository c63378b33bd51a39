/** Whether the app works offline, and the update prompt when a new version waits. */
import { useOfflineStore, type OfflineStatus } from '../state/offline-store.ts'

/** A quiet line for the footer. */
export function OfflineStatusLine () {
  const status = useOfflineStore((s) => s.status)
  return <p className='muted small-text' data-state={status.state} data-testid='offline-status'>{describe(status)}</p>
}

/** A banner with the update prompt, shown only while a new version waits. */
export function UpdatePrompt () {
  const status = useOfflineStore((s) => s.status)
  if (status.state !== 'update-available') return null
  return (
    <div className='banner' role='status'>
      <span>A new version of Threads is ready.</span>
      <button type='button' className='button primary small' onClick={() => { void status.apply() }}>Reload to update</button>
    </div>
  )
}

function describe (status: OfflineStatus): string {
  switch (status.state) {
    case 'idle':
    case 'registering':
      return 'Preparing offline use…'
    case 'ready':
    case 'update-available':
      return 'Available offline'
    case 'unsupported':
      return 'This browser cannot keep Threads available offline'
    case 'failed':
      return `Offline use unavailable: ${status.error.message}`
  }
}
