/**
 * The link to the background node that the page's client functions use, set
 * by the node store once the node answers. One home for "is the node there
 * yet?", so functions such as {@link ./photos.ts} need no store.
 */
import { NodeNotReadyError } from '../../protocol/errors.ts'
import type { RpcClient } from '../../protocol/rpc-client.ts'

let current: RpcClient | undefined

/** Sets (or clears) the node link in use. */
export function setCurrentNode (rpc: RpcClient | undefined): void {
  current = rpc
}

/** The node link in use; a {@link NodeNotReadyError} while the node has not answered yet. */
export function nodeRpc (): RpcClient {
  if (current === undefined) throw new NodeNotReadyError('The background node is not ready yet')
  return current
}
