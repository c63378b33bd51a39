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

/**
 * What a node holds in memory to answer the blocks peers want. Bitswap loads
 * the blocks a send to a peer carries and holds them until the peer takes
 * them, so each bound below is a bound on memory. Unpatched, the library loads
 * every wanted block it holds into one send with no time limit, and reads the
 * want cap under another key than the documented one:
 * patches/@helia+bitswap+4.0.19.patch adds the bytes, peers and time bounds and
 * reads the documented key. Honest peers want far fewer at once: a browser
 * reads about 6 images with 4 chunks ahead of each (~30 wants), a follower
 * keeps 4 files with 8 chunks each in flight (32).
 */
export const BLOCK_SENDS = {
  /** Wants kept per peer (the library's default is 1,024); past it the oldest, least urgent are dropped and asked again later (ask-again.ts). */
  maxWantsPerPeer: 128,
  /** Bytes of blocks one send to a peer loads (the block that passes it included): one media chunk, or smaller blocks up to a MiB; the peer's other wants go in its next send, at once. */
  maxBytesPerSend: 1024 * 1024,
  /** Peers being sent blocks at once, all together; the others wait their turn. With the above, a few tens of MiB at most (a send's blocks and their encoding). */
  maxPeersAtOnce: 8,
  /** A send the peer has not taken by then ends, freeing its turn and its memory (a chunk in 30 s is 35 KB/s); its wants stay, answered when the peer asks again. */
  sendTimeoutMs: 30_000
} as const

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
  const node = withBitswap(helia as Helia & { libp2p: Libp2p }, {
    maxIncomingMessageSize: maxMessageBytes,
    maxOutgoingMessageSize: maxMessageBytes,
    maxWantlistSize: BLOCK_SENDS.maxWantsPerPeer,
    sendBlocksMaxBytes: BLOCK_SENDS.maxBytesPerSend,
    sendBlocksMaxPeers: BLOCK_SENDS.maxPeersAtOnce,
    sendBlocksTimeout: BLOCK_SENDS.sendTimeoutMs
  })
  await node.start()
  return node
}
