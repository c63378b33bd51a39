/**
 * An album's thumbnail packs (core/media/thumbnail-pack.ts, docs/PROTOCOL.md
 * "Thumbnail packs") as the album service uses them:
 * - publishing: a writer's snapshot names packs of the thumbnails of the
 *   album's photos that this device holds whole (`make`; others are left to
 *   be fetched alone), and once the follower keeps that snapshot the pack
 *   blocks are pushed to it (`push`): it takes only the packs its kept
 *   snapshot names;
 * - joining: once a snapshot is shown, its packs are fetched from the
 *   follower that served it and the thumbnails they hold are stored here,
 *   checked (thumbnail-packs.ts, `load`); a thumbnail asked for meanwhile
 *   waits for that (`settled`), then is fetched block by block if no pack
 *   gave it.
 * All of it is a shortcut: a pack not made, not pushed, refused or out of
 * reach leaves its thumbnails to the per-block fetch, so no thumbnail is lost;
 * a failure is logged, and a person is told nothing (nothing is wrong for them).
 */
import type { CID } from 'multiformats/cid'
import type { ThreadDatabase } from '../core/db/index.ts'
import { ThreadsError } from '../core/errors.ts'
import { createLogger } from '../core/logger.ts'
import { PACK_LIMITS, packThumbnails, parseManifest, parseMediaRef, type MediaBlock } from '../core/media/index.ts'
import { PHOTOS } from './album-snapshot.ts'
import type { MediaBlocks } from './media-store.ts'
import { loadThumbnailPacks } from './thumbnail-packs.ts'

const log = createLogger('services:album-packs')

/** Thumbnails' bytes read from this device at once while packing (their packs are held until pushed). */
const PACK_GROUP_BYTES = 16 * 1024 * 1024
/** Pack blocks pushed at once. */
const PUSH_IN_FLIGHT = 4
/** Longest wait for one pack block from the follower: a pack it lacks is otherwise waited for forever over bitswap. */
const PACK_FETCH_TIMEOUT_MS = 20_000
/** Longest a join spends on its packs before the thumbnails left are fetched one by one. */
const LOAD_TIMEOUT_MS = 60_000

/** A follower's block endpoints (GET and PUT /v1/blocks), where its web address is known. */
export interface FollowerBlocks {
  /** A block it holds; rejects (BlockNotFoundError) when it has none. */
  get(cid: CID, options: { signal?: AbortSignal }): Promise<Uint8Array>
  /** Hands it a block; rejects with its refusal. */
  put(block: MediaBlock, options: { signal?: AbortSignal }): Promise<void>
}

/** The album service's thumbnail pack duties. */
export interface AlbumPacks {
  /** The packs of the thumbnails of `thread`'s photos this device holds (none when it holds none). */
  make(thread: ThreadDatabase): Promise<MediaBlock[]>
  /** Pushes `packs` to a follower that keeps a snapshot naming them; returns how many it took. */
  push(packs: readonly MediaBlock[], follower: FollowerBlocks): Promise<number>
  /**
   * Starts loading the packs `thumbs` of the snapshot just shown for `thread`,
   * from `follower` (its block endpoint, else its peers through bitswap).
   */
  load(thread: ThreadDatabase, thumbs: readonly string[], follower?: FollowerBlocks): void
  /** Resolves once no pack of `thread` is loading (at once when none is). */
  settled(thread: string): Promise<void>
}

/** The thumbnail refs of the photos `thread` shows now. */
const thumbnailsOf = (thread: ThreadDatabase): unknown[] => thread.collection(PHOTOS).find({}).flatMap((d) => d.thumbnail === undefined ? [] : [d.thumbnail])

/** Thumbnail packs over this device's media blocks. */
export function createAlbumPacks (blocks: MediaBlocks): AlbumPacks {
  const loading = new Map<string, Promise<void>>()

  /** A thumbnail's blocks, manifest first, as a pack takes them; undefined unless all are held here. */
  async function heldFile (value: unknown): Promise<MediaBlock[] | undefined> {
    try {
      const { root } = parseMediaRef(value)
      const manifest = await blocks.getLocal(root)
      if (manifest === undefined) return undefined
      const chunks = parseManifest(manifest).chunks
      const bytes = await Promise.all(chunks.map(async (cid) => await blocks.getLocal(cid)))
      if (bytes.some((b) => b === undefined)) return undefined
      return [{ cid: root, bytes: manifest }, ...chunks.map((cid, i) => ({ cid, bytes: bytes[i]! }))]
    } catch (error) {
      if (!(error instanceof ThreadsError)) throw error
      log('a thumbnail is left out of the packs: %s', error.message)
      return undefined
    }
  }

  return {
    async make (thread) {
      const packs: MediaBlock[] = []
      let group: MediaBlock[][] = []
      let bytes = 0
      // Packed a group at a time, so at most a group of thumbnails is held besides the packs made.
      const flush = async (): Promise<void> => {
        if (group.length > 0) packs.push(...await packThumbnails(group))
        group = []
        bytes = 0
      }
      for (const value of thumbnailsOf(thread)) {
        if (packs.length >= PACK_LIMITS.maxBlocks) break
        const file = await heldFile(value)
        if (file === undefined) continue
        group.push(file)
        bytes += file.reduce((n, b) => n + b.bytes.length, 0)
        if (bytes >= PACK_GROUP_BYTES) await flush()
      }
      await flush()
      return packs.slice(0, PACK_LIMITS.maxBlocks)
    },

    async push (packs, follower) {
      let next = 0
      let taken = 0
      await Promise.all(Array.from({ length: Math.min(PUSH_IN_FLIGHT, packs.length) }, async () => {
        while (next < packs.length) {
          const pack = packs[next++]!
          try {
            await follower.put(pack, { signal: AbortSignal.timeout(PACK_FETCH_TIMEOUT_MS) })
            taken++
          } catch (error) {
            // Its thumbnails are fetched one by one by whoever joins.
            log.failure(`pushing the thumbnail pack ${pack.cid.toString()}`, error)
          }
        }
      }))
      return taken
    },

    load (thread, thumbs, follower) {
      if (thumbs.length === 0) return
      const signal = AbortSignal.timeout(LOAD_TIMEOUT_MS)
      const fetched: CID[] = []
      // Without the follower's block endpoint, packs come over bitswap, kept on the way: dropped once unpacked.
      const from = follower === undefined
        ? async (cid: CID, wait: AbortSignal): Promise<Uint8Array> => { fetched.push(cid); return await blocks.get(cid, { signal: wait }) }
        : async (cid: CID, wait: AbortSignal): Promise<Uint8Array> => await follower.get(cid, { signal: wait })
      const fetch = async (cid: CID): Promise<Uint8Array> => await from(cid, AbortSignal.any([signal, AbortSignal.timeout(PACK_FETCH_TIMEOUT_MS)]))
      const run = loadThumbnailPacks({ packs: thumbs, thumbnails: thumbnailsOf(thread), blocks, fetch, signal })
        .then((loaded) => {
          log('%d thumbnail blocks of %s from %d packs, %d refused', loaded.blocks, thread.id, thumbs.length, loaded.refused.length)
        }, (error: unknown) => { log.failure(`loading the thumbnail packs of ${thread.id}`, error) })
        .then(async () => { if (fetched.length > 0) await blocks.delete(fetched) })
        .catch((error: unknown) => { log.failure(`dropping the thumbnail packs of ${thread.id}`, error) })
        .finally(() => { if (loading.get(thread.id) === run) loading.delete(thread.id) })
      loading.set(thread.id, run)
    },

    settled: async (thread) => { await loading.get(thread) }
  }
}
