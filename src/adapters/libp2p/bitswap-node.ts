/**
 * A light Helia node on a libp2p node that already runs (the follower's, the
 * background node's): the given blockstore, the dag-cbor codec beside Helia's
 * raw, and bitswap as its only block broker, so it fetches blocks from the
 * peers it is connected to and serves what it holds to any of them. No
 * routers, no gateways, no libp2p of its own. Hosts pass Helia's light
 * constructor (block-node.ts does, from helia's entry point).
 */
import { withBitswap } from '@helia/bitswap'
import * as dagCbor from '@ipld/dag-cbor'
import type { Libp2p } from '@libp2p/interface'
import { MemoryDatastore } from 'datastore-core'
import type { createHeliaLight, Helia } from 'helia'
import type { Blockstore } from 'interface-blockstore'

/** A Helia node sharing a running libp2p node. */
export type BlockNode = Helia & { readonly libp2p: Libp2p }

/** Options of createBlockNode. */
export interface BlockNodeOptions {
  readonly libp2p: Libp2p
  readonly blockstore: Blockstore
  /** Largest bitswap message sent or taken, in bytes (media chunks are 1 MiB + 40). Default 4 MiB. */
  readonly maxMessageBytes?: number
}

/** Creates with `createHelia` and starts a Helia node with bitswap over `libp2p`. Stopping it leaves `libp2p` running. */
export async function startBlockNode (createHelia: typeof createHeliaLight, options: BlockNodeOptions): Promise<BlockNode> {
  const helia = createHelia({
    blockstore: options.blockstore,
    // Helia keeps pins and its keychain here; pins are not used (the owner of the node decides what
    // it keeps), and the libp2p key is the running node's.
    datastore: new MemoryDatastore(),
    codecs: [dagCbor]
  })
  Object.defineProperty(helia, 'libp2p', { value: options.libp2p, enumerable: true })
  const maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024
  const node = withBitswap(helia as Helia & { libp2p: Libp2p }, { maxIncomingMessageSize: maxMessageBytes, maxOutgoingMessageSize: maxMessageBytes })
  await node.start()
  return node
}
