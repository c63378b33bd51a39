/**
 * A joiner's thumbnails from the packs a published snapshot names
 * (src/core/media/thumbnail-pack.ts): each pack block is fetched from peers
 * (a follower keeps them), checked, and the thumbnail blocks it holds for the
 * photos shown are stored here, so every thumbnail then opens from this
 * device. A pack refused or out of reach changes nothing else: its
 * thumbnails are fetched one by one, as without packs.
 */
import { CID } from 'multiformats/cid'
import { ThreadsError } from '../core/errors.ts'
import { createLogger } from '../core/logger.ts'
import { parseMediaRef, unpackThumbnails } from '../core/media/index.ts'
import type { MediaBlocks } from './media-store.ts'

const log = createLogger('services:thumbnail-packs')

/** Pack blocks fetched at once (1 MiB each at most; a browser opens 6 connections to a host). */
const PACKS_IN_FLIGHT = 6

/** What loading a snapshot's packs came to. */
export interface PacksLoaded {
  /** Thumbnail blocks stored here. */
  readonly blocks: number
  /** Packs refused (a named error each) or not fetched. */
  readonly refused: readonly Error[]
}

/**
 * Fetches the pack blocks `packs` (CID texts, from a verified snapshot) and
 * stores the blocks of the thumbnails `thumbnails` (the media ref values of
 * the photos shown) they hold. Each pack block is deleted once unpacked.
 */
export async function loadThumbnailPacks (input: {
  readonly packs: readonly string[]
  readonly thumbnails: Iterable<unknown>
  readonly blocks: MediaBlocks
  /** Where pack blocks come from (a follower's GET /v1/blocks, say); from peers through `blocks` unless given. */
  readonly fetch?: (cid: CID, options: { signal?: AbortSignal }) => Promise<Uint8Array>
  /** Hears, as each pack's blocks are stored, the roots (as text) of the thumbnails it gave: they open from here now. */
  readonly onStored?: (roots: readonly string[]) => void
  readonly signal?: AbortSignal
}): Promise<PacksLoaded> {
  const { blocks, signal } = input
  const fetch = input.fetch ?? (async (cid: CID, options: { signal?: AbortSignal }) => await blocks.get(cid, options))
  const wanted = new Set<string>()
  for (const value of input.thumbnails) {
    try {
      wanted.add(parseMediaRef(value).root.toString())
    } catch (error) {
      if (!(error instanceof ThreadsError)) throw error
      log('a thumbnail ref is not of the media format: %s', error.message)
    }
  }
  const refused: Error[] = []
  let stored = 0
  let next = 0
  await Promise.all(Array.from({ length: Math.min(PACKS_IN_FLIGHT, input.packs.length) }, async () => {
    while (next < input.packs.length) {
      const text = input.packs[next++]!
      try {
        const cid = CID.parse(text)
        const held = await blocks.getLocal(cid)
        const unpacked = await unpackThumbnails(cid, held ?? await fetch(cid, { signal }), wanted)
        // A pack's thumbnails stored together: one write, not one awaited put per block.
        await blocks.putMany(unpacked)
        stored += unpacked.length
        input.onStored?.(unpacked.flatMap((b) => wanted.has(b.cid.toString()) ? [b.cid.toString()] : []))
        // Fetched from peers, it was kept here on the way: the blocks it held are what is kept.
        if (held === undefined && input.fetch === undefined) await blocks.delete([cid])
      } catch (error) {
        if (signal?.aborted === true) throw error
        log.failure(`loading the thumbnail pack ${text.slice(0, 80)}`, error)
        refused.push(error as Error)
      }
    }
  }))
  return { blocks: stored, refused }
}
