/**
 * The blocks of a media node (a light Helia node on the worker's libp2p, see
 * block-node.ts) as the background node's media store reads and writes them:
 * `get` from the local store or, failing that, from connected peers over
 * bitswap (checked against the CID by Helia, then kept; a want nobody
 * answered is made again, ask-again.ts); `put` stores and
 * tells peers waiting for the block (`putMany`, many at once); `getLocal`
 * never asks the network.
 */
import { concatBytes } from '@noble/hashes/utils.js'
import type { Helia } from 'helia'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import { getAskingAgain, type AskAgainOptions } from './ask-again.ts'

/** Blocks as a media store reads and writes them (src/services/media-store.ts), over a media node. */
export interface NodeMediaBlocks {
  get(cid: CID, options: { signal?: AbortSignal }): Promise<Uint8Array>
  getLocal(cid: CID): Promise<Uint8Array | undefined>
  put(block: { readonly cid: CID, readonly bytes: Uint8Array }): Promise<void>
  putMany(blocks: ReadonlyArray<{ readonly cid: CID, readonly bytes: Uint8Array }>): Promise<void>
  delete(cids: readonly CID[]): Promise<void>
}

/** The media node `helia`'s blocks, `local` being its blockstore (`asking`: how a want is made again, ask-again.ts). */
export function mediaBlocksOf (helia: Helia, local: Blockstore, asking: Pick<AskAgainOptions, 'firstWaitMs'> = {}): NodeMediaBlocks {
  return {
    get: async (cid, { signal }) => await joined(await getAskingAgain(helia.blockstore, cid, { ...asking, ...(signal === undefined ? {} : { signal }) })),
    // One read, not `has` then `get` (two IndexedDB requests for each block a thumbnail opens from).
    getLocal: async (cid) => {
      try {
        return await joined(local.get(cid))
      } catch (error) {
        if ((error as Error).name === 'NotFoundError') return undefined
        throw error
      }
    },
    put: async ({ cid, bytes }) => { await helia.blockstore.put(cid, bytes) },
    // Helia's putMany: a put each of the store's, but one lock and, in IndexedDB, a transaction per batch.
    putMany: async (blocks) => { for await (const cid of helia.blockstore.putMany(blocks)) void cid },
    delete: async (cids) => { for await (const cid of helia.blockstore.deleteMany(cids)) void cid }
  }
}

/** The bytes of a block a blockstore yields in one or more parts. */
async function joined (parts: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const all: Uint8Array[] = []
  for await (const part of parts) all.push(part)
  return all.length === 1 ? all[0]! : concatBytes(...all)
}
