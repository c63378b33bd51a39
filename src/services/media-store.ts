/**
 * Where a device's media blocks live and how they are fetched: the local
 * blockstore, else peers (bitswap through Helia in the worker), with a small
 * window of chunks asked for ahead of the one being opened, so a file comes
 * at the pace of the connection rather than one round trip per chunk.
 *
 * What this device keeps (in its metadata store, beside the database):
 * - its own originals, marked `own`: never evicted here (the follower, which
 *   pins what records reference, is where they live on);
 * - originals fetched to be looked at or saved, with when they were last
 *   used: evicted least recently used first while storage is under pressure,
 *   except in albums whose originals this device keeps;
 * - per album, whether to keep its originals on this device.
 * Thumbnails and previews are small and always kept.
 */
import { CID } from 'multiformats/cid'
import { groupWrites } from '../core/group-writes.ts'
import { createLogger } from '../core/logger.ts'
import { mediaBlockCids, parseManifest, readManifest, type BlockGetter, type MediaBlock, type MediaRef } from '../core/media/index.ts'
import type { KeyValueStore } from '../core/storage/interfaces.ts'
import { getValue, listValues, putValue } from '../core/storage/meta-values.ts'

const log = createLogger('services:media-store')

/** The blocks a device holds and can fetch, as the media store needs them (Helia's blockstore in the worker). */
export interface MediaBlocks {
  /** A block from this device, else from connected peers; rejects when nobody has it in time. */
  get(cid: CID, options: { signal?: AbortSignal }): Promise<Uint8Array>
  /** A block held on this device only; undefined when not held. */
  getLocal(cid: CID): Promise<Uint8Array | undefined>
  put(block: MediaBlock): Promise<void>
  /** Stores `blocks` together (one write where the store can), as a pack's thumbnails arrive. */
  putMany(blocks: readonly MediaBlock[]): Promise<void>
  delete(cids: readonly CID[]): Promise<void>
}

/** How much storage the origin uses of what it may (navigator.storage.estimate()). */
export interface StorageEstimate {
  readonly usage: number
  readonly quota: number
}

/** Options of {@link createMediaStore}. */
export interface MediaStoreOptions {
  readonly blocks: MediaBlocks
  readonly meta: KeyValueStore
  /** The storage estimate, where the host has one; without it nothing is evicted. */
  readonly estimate?: () => Promise<StorageEstimate>
  /** Fraction of the quota above which fetched originals are evicted (0.8 unless given). */
  readonly pressure?: number
  /** Chunks asked for ahead of the one being opened (4 unless given). */
  readonly window?: number
}

/** A device's media: reading by ref, remembering what it holds, evicting under pressure. */
export interface MediaStore {
  readonly blocks: MediaBlocks
  /** A block getter for `openMedia` that asks for the next chunks of a file while one is opened. */
  reader(signal?: AbortSignal): BlockGetter
  /** Marks an original as this device's own: kept. Marks made while another is written share one write. */
  markOwn(thread: string, ref: MediaRef): Promise<void>
  /** Notes that a fetched original was used now (for least-recently-used eviction), then evicts if storage is under pressure. */
  used(thread: string, ref: MediaRef): Promise<void>
  /** Whether this device holds the original `ref` whole (its own, or fetched and not evicted since). */
  holds(ref: MediaRef): Promise<boolean>
  /** Whether this device keeps every original of `thread`. */
  keeps(thread: string): Promise<boolean>
  setKeeps(thread: string, keep: boolean): Promise<void>
  /** Evicts fetched originals, least recently used first, while storage is under pressure; returns how many. */
  evict(): Promise<number>
}

interface HeldOriginal {
  readonly thread: string
  /** ms since the epoch of the last use; 0 for this device's own. */
  readonly at: number
  readonly own: boolean
  readonly size: number
}

const heldKey = (root: CID): string => `media/held/${root.toString()}`
const keepKey = (thread: string): string => `media/keep/${thread}`
const DAG_CBOR = 0x71

/** Makes a device's media store. */
export function createMediaStore (options: MediaStoreOptions): MediaStore {
  const { blocks, meta } = options
  const windowSize = options.window ?? 4
  const pressure = options.pressure ?? 0.8
  let evicting: Promise<number> | undefined
  // Photos added together are marked in one write, not one each.
  const markGrouped = groupWrites<{ thread: string, ref: MediaRef }>(async (marks) => {
    await meta.batch(marks.map(({ thread, ref }) => putValue(heldKey(ref.root), { thread, at: 0, own: true, size: ref.size } satisfies HeldOriginal)))
  })

  const underPressure = async (): Promise<boolean> => {
    if (options.estimate === undefined) return false
    const { usage, quota } = await options.estimate()
    return quota > 0 && usage > quota * pressure
  }

  const evictOnce = async (): Promise<number> => {
    if (!await underPressure()) return 0
    const candidates: Array<[string, HeldOriginal]> = []
    for await (const entry of listValues<HeldOriginal>(meta, 'media/held/')) if (!entry[1].own) candidates.push(entry)
    candidates.sort((a, b) => a[1].at - b[1].at)
    const kept = new Map<string, boolean>()
    let evicted = 0
    for (const [key, held] of candidates) {
      if (!kept.has(held.thread)) kept.set(held.thread, await store.keeps(held.thread))
      if (kept.get(held.thread) === true) continue
      const root = key.slice('media/held/'.length)
      try {
        const cid = CID.parse(root)
        const manifest = await readManifest(cid, async (c) => await blocks.getLocal(c))
        await blocks.delete(mediaBlockCids(cid, manifest))
      } catch (error) {
        log.failure(`evicting the original ${root}`, error)
      }
      await meta.batch([{ type: 'delete', key }])
      evicted++
      if (!await underPressure()) break
    }
    return evicted
  }

  const store: MediaStore = {
    blocks,
    reader (signal) {
      const ahead = new Map<string, Promise<Uint8Array>>()
      const fetch = (cid: CID): Promise<Uint8Array> => {
        const key = cid.toString()
        let pending = ahead.get(key)
        if (pending === undefined) {
          // Held here (a thumbnail from a pack, a file opened before): read straight from the store, not through the
          // node's fetching path, which costs several times the read for each small block.
          pending = blocks.getLocal(cid).then(async (held) => held ?? await blocks.get(cid, { signal }))
          // A chunk asked for ahead may be abandoned (the reader stopped): its failure is the reader's to see when it asks.
          pending.catch((error: unknown) => { log.failure(`fetching the block ${key} ahead`, error) })
          ahead.set(key, pending)
        }
        return pending
      }
      let chunks: readonly CID[] = []
      return async (cid) => {
        const bytes = await fetch(cid)
        ahead.delete(cid.toString())
        if (cid.code === DAG_CBOR) {
          chunks = parseManifest(bytes).chunks
        }
        const at = chunks.findIndex((c) => c.equals(cid))
        for (const next of chunks.slice(at + 1, at + 1 + windowSize)) fetch(next)
        return bytes
      }
    },
    async markOwn (thread, ref) {
      await markGrouped({ thread, ref })
    },
    async used (thread, ref) {
      const held = await getValue<HeldOriginal>(meta, heldKey(ref.root))
      if (held?.own === true) return
      await meta.batch([putValue(heldKey(ref.root), { thread, at: Date.now(), own: false, size: ref.size } satisfies HeldOriginal)])
      await store.evict()
    },
    holds: async (ref) => await meta.has(heldKey(ref.root)),
    keeps: async (thread) => await getValue<boolean>(meta, keepKey(thread)) === true,
    async setKeeps (thread, keep) {
      await meta.batch([keep ? putValue(keepKey(thread), true) : { type: 'delete', key: keepKey(thread) }])
    },
    async evict () {
      // One eviction at a time: two would count the same pressure twice.
      evicting ??= evictOnce().finally(() => { evicting = undefined })
      return await evicting
    }
  }
  return store
}
