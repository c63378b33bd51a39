/**
 * A light Helia node on a libp2p node that already runs: bitswap over that
 * node's connections (the worker's direct WebRTC connections and its follower
 * links, or a follower's), a given blockstore, and the dag-cbor codec for
 * media manifests beside raw blocks. Nothing else of full Helia: no public
 * gateways, routers or DHT, which cannot work on a closed network and would
 * leak what a device fetches.
 *
 * Helia's own `withLibp2p` creates a libp2p node of its own; sharing one
 * means handing Helia the node as its `libp2p` before bitswap starts, so one
 * node's connections carry sync, gossipsub and blocks alike.
 */
import { withBitswap, type BitswapOptions } from '@helia/bitswap'
import type { HeliaWithLibp2p } from '@helia/libp2p'
import * as dagCbor from '@ipld/dag-cbor'
import type { Libp2p } from '@libp2p/interface'
import { MemoryDatastore } from 'datastore-core'
import { createHeliaLight, type Helia } from 'helia'
import type { Blockstore } from 'interface-blockstore'
import { concatBytes } from '@noble/hashes/utils.js'
import type { CID } from 'multiformats/cid'

/** Options of {@link startMediaNode}. */
export interface MediaNodeOptions {
  /** The running libp2p node whose connections carry blocks. */
  readonly libp2p: Libp2p
  /** Where blocks live (IndexedDB in the browser, the follower's store, memory in tests). */
  readonly blockstore: Blockstore
  /** Bitswap's limits, over its defaults. */
  readonly bitswap?: BitswapOptions
}

/** The largest bitswap message sent or accepted: a media chunk plus framing fits with room to spare. */
export const MAX_BITSWAP_MESSAGE_BYTES = 4 * 1024 * 1024

/**
 * Starts a light Helia node on `libp2p`: `helia.blockstore.get(cid)` reads the
 * local store, else asks connected peers over bitswap, checks the bytes hash
 * to the CID, and keeps them; local blocks are served to peers that want them.
 * Stopping it stops bitswap only (no libp2p mixin): the libp2p node is its owner's.
 */
export async function startMediaNode (options: MediaNodeOptions): Promise<Helia> {
  const helia = createHeliaLight({
    blockstore: options.blockstore,
    // Pins and Helia's own bookkeeping: the node keeps what it must itself, so nothing here needs to outlive it.
    datastore: new MemoryDatastore(),
    codecs: [dagCbor]
  })
  Object.defineProperty(helia, 'libp2p', { value: options.libp2p, enumerable: true })
  withBitswap(helia as HeliaWithLibp2p, {
    maxIncomingMessageSize: MAX_BITSWAP_MESSAGE_BYTES,
    maxOutgoingMessageSize: MAX_BITSWAP_MESSAGE_BYTES,
    ...options.bitswap
  })
  await helia.start()
  return helia
}

/** Blocks as a media store reads and writes them (src/services/media-store.ts), over a media node. */
export interface NodeMediaBlocks {
  get(cid: CID, options: { signal?: AbortSignal }): Promise<Uint8Array>
  getLocal(cid: CID): Promise<Uint8Array | undefined>
  put(block: { readonly cid: CID, readonly bytes: Uint8Array }): Promise<void>
  delete(cids: readonly CID[]): Promise<void>
}

/**
 * The media node's blocks: `get` from the local store or, failing that, from
 * peers over bitswap (checked against the CID and kept); `put` stores and
 * tells peers waiting for the block; `getLocal` never asks the network.
 */
export function mediaBlocksOf (helia: Helia, local: Blockstore): NodeMediaBlocks {
  return {
    get: async (cid, { signal }) => await joined(helia.blockstore.get(cid, signal === undefined ? {} : { signal })),
    getLocal: async (cid) => await local.has(cid) ? await joined(local.get(cid)) : undefined,
    put: async ({ cid, bytes }) => { await helia.blockstore.put(cid, bytes) },
    delete: async (cids) => { for await (const cid of helia.blockstore.deleteMany(cids)) void cid }
  }
}

/** The bytes of a block a blockstore yields in one or more parts. */
async function joined (parts: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const all: Uint8Array[] = []
  for await (const part of parts) all.push(part)
  return all.length === 1 ? all[0]! : concatBytes(...all)
}
