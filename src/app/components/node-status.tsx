/** One line saying where the background node stands, in words. */
import { useNodeStore, type NodeStatus } from '../state/node-store.ts'

/** Shows the node's status; offers a retry after a failure. */
export function NodeStatusLine () {
  const status = useNodeStore((s) => s.status)
  const connect = useNodeStore((s) => s.connect)
  return (
    <p className='status-line' data-state={status.state} data-testid='node-status' role='status'>
      <span className='status-dot' aria-hidden='true' />
      <span className='status-text'>{describe(status)}</span>
      {status.state === 'failed' && (
        <button type='button' className='link-button' onClick={() => { void connect() }}>Try again</button>
      )}
    </p>
  )
}

function describe (status: NodeStatus): string {
  switch (status.state) {
    case 'idle':
    case 'connecting':
      return 'Starting the background node…'
    case 'ready':
      return `Node ready · protocol v${status.protocol} · worker ${status.workerId}`
    case 'failed':
      return `Node unavailable: ${status.error.message}`
  }
}
