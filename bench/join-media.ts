/**
 * The thumbnails of the join benchmark, made and fetched as the product does:
 * each photo's thumbnail is a small JPEG-sized file (random bytes, as
 * incompressible as a JPEG) encrypted under a key of its own into a manifest
 * and a chunk block (src/core/media); the writer pushes the blocks to the
 * follower (PUT /v1/blocks), which keeps them because the photos' records
 * reference them; a joiner fetches each thumbnail over bitswap from the
 * follower through a media store (a light Helia node on its libp2p), a few
 * at a time as the album's grid asks for them, and opens it.
 */
import { randomBytes } from 'node:crypto'
import type { Libp2p } from '@libp2p/interface'
import { MemoryBlockstore } from 'blockstore-core'
import { httpBlockPusher } from '../src/adapters/http/block-push.ts'
import { createBlockNode, type BlockNode } from '../src/adapters/libp2p/block-node.ts'
import { mediaBlocksOf } from '../src/adapters/libp2p/media-blocks.ts'
import { encryptMedia, parseMediaRef, readMedia, type MediaBlock, type MediaRef } from '../src/core/media/index.ts'
import { createMemoryKeyValueStore } from '../src/core/storage/memory.ts'
import { MEDIA_MESSAGE_LIMITS } from '../src/protocol/media-messages.ts'
import { createMediaStore, type MediaStore } from '../src/services/media-store.ts'

/** Loads of the album grid at once (src/app/state/image-store.ts, IN_FLIGHT). */
export const GRID_IN_FLIGHT = 6
/** A grid thumbnail's size: a 400 px JPEG is some 20 to 40 kB. */
const THUMBNAIL_BYTES = { min: 20_000, max: 40_000 }

/** A photo's thumbnail: its plaintext, the ref its record carries and its encrypted blocks. */
export interface BenchThumbnail {
  readonly plaintext: Uint8Array
  readonly ref: MediaRef
  readonly blocks: readonly MediaBlock[]
}

/** Encrypts `count` thumbnails of typical sizes. */
export async function makeThumbnails (count: number): Promise<BenchThumbnail[]> {
  const out: BenchThumbnail[] = []
  for (let i = 0; i < count; i++) {
    const size = THUMBNAIL_BYTES.min + Math.floor(Math.random() * (THUMBNAIL_BYTES.max - THUMBNAIL_BYTES.min))
    const plaintext = new Uint8Array(randomBytes(size))
    const blocks: MediaBlock[] = []
    const ref = await encryptMedia([plaintext], { size, type: 'image/jpeg', put: (block) => { blocks.push(block) } })
    out.push({ plaintext, ref, blocks })
  }
  return out
}

/** Pushes `blocks` to the follower at `httpUrl`, `inFlight` at a time. */
export async function pushBlocks (httpUrl: string, blocks: readonly MediaBlock[], inFlight = 8): Promise<void> {
  const push = httpBlockPusher(httpUrl)
  let next = 0
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < blocks.length) {
      await push(blocks[next++]!, {})
    }
  }))
}

/** Waits until the follower at `httpUrl` holds `count` media files whole. */
export async function waitForKept (httpUrl: string, count: number): Promise<void> {
  for (;;) {
    const health = await (await fetch(`${httpUrl}/health`)).json() as { media?: { complete: number, refused: unknown[] } }
    if ((health.media?.complete ?? 0) >= count) return
    if ((health.media?.refused.length ?? 0) > 0) throw new Error(`the follower refused media: ${JSON.stringify(health.media?.refused)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** A joiner's media: a light Helia node on its libp2p over an empty blockstore, and a media store over it. */
export interface JoinerMedia {
  readonly node: BlockNode
  readonly store: MediaStore
  stop(): Promise<void>
}

/** Starts a joiner's media node on `libp2p`. */
export async function startJoinerMedia (libp2p: Libp2p): Promise<JoinerMedia> {
  const blockstore = new MemoryBlockstore()
  const node = await createBlockNode({ libp2p, blockstore })
  const store = createMediaStore({ blocks: mediaBlocksOf(node, blockstore), meta: createMemoryKeyValueStore() })
  return { node, store, stop: async () => { await node.stop() } }
}

/**
 * Every photo's thumbnail opened, as the album's grid loads them
 * (`photo.media`, variant thumbnail: fetched through the media store's
 * reader, checked, decrypted), GRID_IN_FLIGHT at a time; by photo ID.
 */
export async function fetchThumbnails (store: MediaStore, photos: ReadonlyArray<Record<string, unknown>>): Promise<Map<string, Uint8Array>> {
  const shown = new Map<string, Uint8Array>()
  let next = 0
  await Promise.all(Array.from({ length: GRID_IN_FLIGHT }, async () => {
    while (next < photos.length) {
      const photo = photos[next++]!
      const ref = parseMediaRef(photo.thumbnail)
      const signal = AbortSignal.timeout(120_000)
      shown.set(photo._id as string, await readMedia(ref, store.reader(signal), { signal, maxBytes: MEDIA_MESSAGE_LIMITS.maxThumbnailBytes }))
    }
  }))
  return shown
}

/** Throws unless `shown` holds every thumbnail of `thumbnails`, byte for byte. */
export function checkThumbnails (mode: string, shown: ReadonlyMap<string, Uint8Array>, thumbnails: readonly BenchThumbnail[]): void {
  thumbnails.forEach((t, i) => {
    const got = shown.get(`photo-${i}`)
    if (got === undefined || got.length !== t.plaintext.length || !got.every((b, j) => b === t.plaintext[j])) throw new Error(`the ${mode} join does not show the thumbnail of photo-${i}`)
  })
}
