/** Where the background node stands, in a word or two; a retry after a failure. */
import { useNodeStore, type NodeStatus } from '../state/node-store.ts'

export function NodeStatusLine () {
  const status = useNodeStore((s) => s.status)
  const connect = useNodeStore((s) => s.connect)
  return (
    <p className='status-line' data-state={status.state} data-testid='node-status' data-worker={status.state === 'ready' ? status.workerId : undefined} role='status'>
      <span className='status-dot' aria-hidden='true' />
      <span className='status-text'>{describe(status)}</span>
      {status.state === 'failed' && (
        <button type='button' className='button small' onClick={() => { void connect() }}>Try again</button>
      )}
    </p>
  )
}

function describe (status: NodeStatus): string {
  switch (status.state) {
    case 'idle':
    case 'connecting':
      return 'Starting…'
    case 'ready':
      return 'Ready'
    case 'failed':
      return `Cannot start: ${status.error.message}`
  }
}
