/**
 * SharedWorker entry: the background node every tab of a browser profile shares.
 *
 * The browser keeps one instance per script URL and name, so a deploy (new script
 * URL) starts a second instance next to an old one still serving old tabs; the
 * versioned protocol is what lets them tell each other apart.
 *
 * The `connect` listener is registered synchronously, during the script's first
 * run: a connect event fired before it exists would be lost, and the tab that sent
 * it would wait forever. Setup then runs asynchronously behind the port hub.
 */
import { PROTOCOL_VERSION } from '../src/protocol/messages.ts'
import type { RequestHandlers } from '../src/protocol/rpc-server.ts'
import { startAlbumService } from './album-service.ts'
import { startWorkerNode } from './libp2p-node.ts'
import { createPortHub } from './port-hub.ts'

// This file is typed with the DOM library (one tsconfig for the browser side), which
// lacks SharedWorkerGlobalScope; this is the one member of it the worker uses.
interface ConnectScope {
  addEventListener(type: 'connect', listener: (event: MessageEvent) => void): void
}

const hub = createPortHub({ setup })

;(globalThis as unknown as ConnectScope).addEventListener('connect', (event) => {
  for (const port of event.ports) hub.connect(port)
})

async function setup (): Promise<RequestHandlers> {
  const workerId = randomId()
  const node = await startWorkerNode()
  const album = await startAlbumService({ node, follower: await findFollower() })
  return {
    hello: () => ({ type: 'ready', workerId, protocol: PROTOCOL_VERSION }),
    ...album
  }
}

/** The follower's multiaddr from its health endpoint, or undefined when it cannot be reached. */
async function findFollower (): Promise<string | undefined> {
  const base = (import.meta.env.VITE_FOLLOWER_URL as string | undefined) ?? 'http://127.0.0.1:4002'
  try {
    const health = await (await fetch(`${base}/health`, { signal: AbortSignal.timeout(3000) })).json() as { multiaddrs?: string[] }
    return health.multiaddrs?.[0]
  } catch {
    return undefined
  }
}

/** 64 random bits as hex: enough to tell worker instances apart, short enough to show. */
function randomId (): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
