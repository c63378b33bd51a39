/**
 * A light Helia node with bitswap on a running libp2p node (bitswap-node.ts),
 * made with helia's own `createHeliaLight`. A Node host that must not load the
 * rest of helia's entry point passes a constructor of its own to startBlockNode.
 */
import { createHeliaLight } from 'helia'
import { startBlockNode, type BlockNode, type BlockNodeOptions } from './bitswap-node.ts'

export type { BlockNode, BlockNodeOptions } from './bitswap-node.ts'

/** Creates and starts a Helia node with bitswap over `libp2p`. Stopping it leaves `libp2p` running. */
export async function createBlockNode (options: BlockNodeOptions): Promise<BlockNode> {
  return await startBlockNode(createHeliaLight, options)
}
