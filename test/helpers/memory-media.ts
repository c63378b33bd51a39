/**
 * Media blocks in memory for service tests: a device's own blocks in a map,
 * and, where it has peers, blocks it lacks fetched from theirs and kept.
 * Unlike bitswap it hands over whatever a peer holds, unchecked, so the tests
 * see the media format's own checks at work. Counts what it fetched.
 */
import type { CID } from 'multiformats/cid'
import type { MediaBlocks } from '../../src/services/media-store.ts'

/** A device's media blocks; `peers` are asked for what it lacks. */
export function memoryMediaBlocks (peers: Array<{ readonly held: Map<string, Uint8Array> }> = []) {
  const held = new Map<string, Uint8Array>()
  let fetched = 0
  const blocks: MediaBlocks = {
    async get (cid) {
      const own = held.get(cid.toString())
      if (own !== undefined) return own
      for (const peer of peers) {
        const bytes = peer.held.get(cid.toString())
        if (bytes === undefined) continue
        held.set(cid.toString(), bytes)
        fetched++
        return bytes
      }
      throw new Error(`nobody holds ${cid.toString()}`)
    },
    getLocal: async (cid) => held.get(cid.toString()),
    async put ({ cid, bytes }) { held.set(cid.toString(), bytes) },
    async putMany (many) { for (const { cid, bytes } of many) held.set(cid.toString(), bytes) },
    async delete (cids) { for (const cid of cids) held.delete(cid.toString()) }
  }
  return { blocks, held, fetched: () => fetched, has: (cid: CID | string) => held.has(cid.toString()) }
}

