/**
 * The tab's view of the background node's lifecycle. A cache for the UI: the
 * node itself lives in the SharedWorker.
 */
import { create } from 'zustand'
import type { WireError } from '../../protocol/messages.ts'
import { toWireError } from '../../protocol/errors.ts'
import { setCurrentNode } from '../client/current-node.ts'
import { connectToNode, type NodeClient } from '../client/node-client.ts'

/** Where the link to the background node stands. */
export type NodeStatus =
  | { readonly state: 'idle' }
  | { readonly state: 'connecting' }
  | { readonly state: 'ready'; readonly workerId: string; readonly protocol: number }
  | { readonly state: 'failed'; readonly error: WireError }

/** State and actions of the node store. */
export interface NodeStore {
  readonly status: NodeStatus
  /** The live client once ready; undefined otherwise. */
  readonly client: NodeClient | undefined
  /** Connects unless already connecting or connected; after a failure it tries again. */
  connect(): Promise<void>
}

/** Options of {@link createNodeStore}. */
export interface NodeStoreOptions {
  /** How to reach the node; tests pass a fake. */
  readonly connect?: () => Promise<NodeClient>
}

/** Creates a node store hook. */
export function createNodeStore ({ connect = connectToNode }: NodeStoreOptions = {}) {
  return create<NodeStore>()((set, get) => ({
    status: { state: 'idle' },
    client: undefined,
    async connect () {
      const { state } = get().status
      if (state === 'connecting' || state === 'ready') return
      set({ status: { state: 'connecting' } })
      try {
        const client = await connect()
        setCurrentNode(client.rpc)
        set({ client, status: { state: 'ready', workerId: client.workerId, protocol: client.protocol } })
      } catch (error) {
        // Kept as name and message: that is what the UI shows and all a worker error carries.
        set({ client: undefined, status: { state: 'failed', error: toWireError(error) } })
      }
    }
  }))
}

/** The app's node store. */
export const useNodeStore = createNodeStore()
