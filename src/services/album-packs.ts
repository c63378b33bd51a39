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
 *   waits until its pack is in or every pack was tried (`ready`), then is
 *   fetched block by block if no pack gave it.
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
import { PackChangedError } from './errors.ts'
import type { MediaBlocks } from './media-store.ts'
import { loadThumbnailPacks } from './thumbnail-packs.ts'

const log = createLogger('services:album-packs')

/** Thumbnails' bytes read from this device at once while packing: a group's packs are made, then let go. */
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

/**
 * The packs of an album's thumbnails, by CID, for a snapshot to name; their
 * bytes are made again, a group at a time, when pushed, so a large album's
 * packs are never all in memory at once.
 */
export interface ThumbnailPacks {
  readonly cids: readonly CID[]
  /** Pushes the packs to a follower that keeps a snapshot naming them; returns how many it took. */
  push(follower: FollowerBlocks): Promise<number>
}

/** The album service's thumbnail pack duties. */
export interface AlbumPacks {
  /** The packs of the thumbnails of `thread`'s photos this device holds (none when it holds none). */
  make(thread: ThreadDatabase): Promise<ThumbnailPacks>
  /**
   * Starts loading the packs `thumbs` of the snapshot just shown for `thread`,
   * from `follower` (its block endpoint, else its peers through bitswap).
   */
  load(thread: ThreadDatabase, thumbs: readonly string[], follower?: FollowerBlocks): void
  /** Resolves once the thumbnail whose root is `root` is stored here from a pack of `thread`, or no pack of it is loading (at once when none is). */
  ready(thread: string, root: string): Promise<void>
}

/** A join's packs loading: the thumbnails stored so far, and who waits for others. */
interface Loading {
  readonly run: Promise<void>
  readonly stored: Set<string>
  readonly waiting: Map<string, Array<() => void>>
}

/** The thumbnail refs of the photos `thread` shows now. */
const thumbnailsOf = (thread: ThreadDatabase): unknown[] => thread.collection(PHOTOS).find({}).flatMap((d) => d.thumbnail === undefined ? [] : [d.thumbnail])

/** Thumbnail packs over this device's media blocks. */
export function createAlbumPacks (blocks: MediaBlocks): AlbumPacks {
  const loading = new Map<string, Loading>()

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

  /**
   * Packs the thumbnails `values` (media ref values) this device holds, a group of them at a time,
   * handing each pack to `each` in order, PACK_LIMITS.maxBlocks at most. The same thumbnails held give
   * the same packs: a pack's bytes are its entries' (packThumbnails), in the order the refs come.
   */
  async function eachPack (values: readonly unknown[], each: (packs: readonly MediaBlock[]) => Promise<void>): Promise<void> {
    let made = 0
    let group: MediaBlock[][] = []
    let bytes = 0
    const flush = async (): Promise<void> => {
      const packs = group.length === 0 ? [] : (await packThumbnails(group)).slice(0, PACK_LIMITS.maxBlocks - made)
      made += packs.length
      group = []
      bytes = 0
      if (packs.length > 0) await each(packs)
    }
    for (const value of values) {
      if (made >= PACK_LIMITS.maxBlocks) return
      const file = await heldFile(value)
      if (file === undefined) continue
      group.push(file)
      bytes += file.reduce((n, b) => n + b.bytes.length, 0)
      if (bytes >= PACK_GROUP_BYTES) await flush()
    }
    await flush()
  }

  return {
    async make (thread) {
      const values = thumbnailsOf(thread)
      const cids: CID[] = []
      await eachPack(values, async (packs) => { cids.push(...packs.map((p) => p.cid)) })
      return {
        cids,
        async push (follower) {
          let at = 0
          let taken = 0
          await eachPack(values, async (packs) => {
            for (let i = 0; i < packs.length; i += PUSH_IN_FLIGHT) {
              await Promise.all(packs.slice(i, i + PUSH_IN_FLIGHT).map(async (pack, j) => {
                const named = cids[at + i + j]
                try {
                  // A thumbnail gone from this device since the packs were named changes a pack: the follower would refuse it.
                  if (named === undefined || !named.equals(pack.cid)) throw new PackChangedError(`the thumbnail pack ${named?.toString() ?? at + i + j} came out different when made again`)
                  await follower.put(pack, { signal: AbortSignal.timeout(PACK_FETCH_TIMEOUT_MS) })
                  taken++
                } catch (error) {
                  // Its thumbnails are fetched one by one by whoever joins.
                  log.failure(`pushing the thumbnail pack ${pack.cid.toString()}`, error)
                }
              }))
            }
            at += packs.length
          })
          return taken
        }
      }
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
      const stored = new Set<string>()
      const waiting = new Map<string, Array<() => void>>()
      // A pack's thumbnails open as soon as it is in: the first screen does not wait for the last pack.
      const onStored = (roots: readonly string[]): void => {
        for (const root of roots) {
          stored.add(root)
          for (const wake of waiting.get(root) ?? []) wake()
          waiting.delete(root)
        }
      }
      const run = loadThumbnailPacks({ packs: thumbs, thumbnails: thumbnailsOf(thread), blocks, fetch, signal, onStored })
        .then((loaded) => {
          log('%d thumbnail blocks of %s from %d packs, %d refused', loaded.blocks, thread.id, thumbs.length, loaded.refused.length)
        }, (error: unknown) => { log.failure(`loading the thumbnail packs of ${thread.id}`, error) })
        .then(async () => { if (fetched.length > 0) await blocks.delete(fetched) })
        .catch((error: unknown) => { log.failure(`dropping the thumbnail packs of ${thread.id}`, error) })
        .finally(() => {
          if (loading.get(thread.id)?.run === run) loading.delete(thread.id)
          for (const wakes of waiting.values()) for (const wake of wakes) wake()
          waiting.clear()
        })
      loading.set(thread.id, { run, stored, waiting })
    },

    ready: async (thread, root) => {
      const now = loading.get(thread)
      if (now === undefined || now.stored.has(root)) return
      await new Promise<void>((resolve) => {
        const wakes = now.waiting.get(root)
        if (wakes === undefined) now.waiting.set(root, [resolve])
        else wakes.push(resolve)
      })
    }
  }
}
