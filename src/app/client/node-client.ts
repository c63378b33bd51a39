/**
 * Connects this tab to the background node in the SharedWorker.
 *
 * Guarantees: `connectToNode` resolves only after the worker answered `hello`
 * with a matching protocol version; otherwise it rejects with a named error
 * whose message can be shown to the user as it is. The tab holds no
 * authoritative state: everything lives in the worker, reached through `rpc`.
 */
import { AbortError } from '../../protocol/errors.ts'
import type { ProtocolVersion } from '../../protocol/messages.ts'
import type { RpcPort } from '../../protocol/port.ts'
import { createRpcClient, type RpcClient } from '../../protocol/rpc-client.ts'
import type { BridgeOffer } from '../../protocol/rtc-bridge.ts'
import { NODE_WORKER_NAME } from '../../protocol/shared-names.ts'
import { SharedWorkerUnsupportedError, WorkerStartError } from './errors.ts'
import { pageFailureLog } from './log.ts'
import { offerRtcBridge } from './rtc-bridge-host.ts'

/** A tab's live link to the background node. */
export interface NodeClient {
  /** Id of the worker instance serving this tab; every tab of the profile sees the same one. */
  readonly workerId: string
  readonly protocol: ProtocolVersion
  readonly rpc: RpcClient
  close(): void
}

/** Options of {@link connectToNode}. */
export interface ConnectOptions {
  readonly signal?: AbortSignal
  /** How long to wait for the worker's first answer; 10 s unless given. */
  readonly timeoutMs?: number
}

/** Starts (or joins) the SharedWorker and says hello. */
export async function connectToNode ({ signal, timeoutMs }: ConnectOptions = {}): Promise<NodeClient> {
  if (signal?.aborted === true) throw new AbortError('Connecting was aborted', { cause: signal.reason })
  // Feature detection, not environment sniffing: which kind of worker can host the node.
  const port = 'SharedWorker' in globalThis ? sharedWorkerPort() : dedicatedWorkerPort()
  const rpc = createRpcClient({ port: port.port, ...(timeoutMs === undefined ? {} : { timeoutMs }) })
  // A script that fails to load or throws at start fires `error` on the worker
  // object only; without this the hello would just time out.
  port.worker.addEventListener('error', () => {
    rpc.close(new WorkerStartError('The background node failed to start (its script did not load or crashed)'))
  })
  try {
    const ready = await rpc.request({ type: 'hello' }, signal === undefined ? {} : { signal })
    // The node may use this tab to make its WebRTC connections (workers have no WebRTC of their own).
    offerRtcBridge(port.offer).catch((error: unknown) => { pageFailureLog('node-client')('offering this tab to carry WebRTC connections', error) })
    return { workerId: ready.workerId, protocol: ready.protocol, rpc, close: () => rpc.close() }
  } catch (error) {
    rpc.close()
    throw error
  }
}


/** The SharedWorker every tab of the profile shares. */
function sharedWorkerPort (): WorkerLink {
  // Vite bundles the worker from this exact `new SharedWorker(new URL(...))` shape.
  const worker = new SharedWorker(new URL('../../../worker/shared-worker.ts', import.meta.url), { type: 'module', name: NODE_WORKER_NAME })
  return { port: worker.port, worker, offer: (offer, bridge) => { worker.port.postMessage(offer, [bridge]) } }
}

/** The node's port, the worker object (for its start errors), and how to hand it a bridge port. */
interface WorkerLink {
  readonly port: RpcPort
  readonly worker: EventTarget
  readonly offer: (offer: BridgeOffer, bridge: MessagePort) => void
}

/** A dedicated worker of this tab, which relays to the one tab whose worker leads (worker/dedicated-worker.ts). */
function dedicatedWorkerPort (): WorkerLink {
  if (!('Worker' in globalThis) || !('locks' in navigator) || !('BroadcastChannel' in globalThis)) {
    throw new SharedWorkerUnsupportedError('Your browser has neither SharedWorker nor dedicated workers with Web Locks, which Threads needs to run its background node')
  }
  const worker = new Worker(new URL('../../../worker/dedicated-worker.ts', import.meta.url), { type: 'module', name: NODE_WORKER_NAME })
  const port: RpcPort = {
    postMessage: (message) => { worker.postMessage(message) },
    addEventListener: (_type, listener) => { worker.addEventListener('message', listener) },
    removeEventListener: (_type, listener) => { worker.removeEventListener('message', listener) },
    start: () => {},
    close: () => { worker.terminate() }
  }
  return { port, worker, offer: (offer, bridge) => { worker.postMessage(offer, [bridge]) } }
}
