/** One line saying whether the app works offline, with the update prompt when one waits. */
import { useOfflineStore, type OfflineStatus } from '../state/offline-store.ts'

/** Shows offline availability; offers to reload into a waiting update. */
export function OfflineStatusLine () {
  const status = useOfflineStore((s) => s.status)
  return (
    <p className='status-line' data-state={status.state} data-testid='offline-status' role='status'>
      <span className='status-dot' aria-hidden='true' />
      <span className='status-text'>{describe(status)}</span>
      {status.state === 'update-available' && (
        <button type='button' className='link-button' onClick={() => { void status.apply() }}>Reload to update</button>
      )}
    </p>
  )
}

function describe (status: OfflineStatus): string {
  switch (status.state) {
    case 'idle':
    case 'registering':
      return 'Preparing offline use…'
    case 'ready':
      return 'Available offline'
    case 'update-available':
      return 'A new version of Threads is ready'
    case 'unsupported':
      return 'This browser cannot keep Threads available offline'
    case 'failed':
      return `Offline use unavailable: ${status.error.message}`
  }
}
