/**
 * An album's thumbnail packs (core/media/thumbnail-pack.ts, docs/PROTOCOL.md
 * "Thumbnail packs") as the album service uses them:
 * - publishing: a writer's snapshot names packs of the thumbnails of the
 *   album's photos that this device holds whole (`make`; others are left to
 *   be fetched alone), in the order the photos were added; the packs built
 *   for the last publication (recorded in the metadata store: CIDs and
 *   thumbnails, `media/packs/<album>`) are reused while their thumbnails are
 *   all still shown (pack-plan.ts), so only new packs' thumbnails are read,
 *   each once; once a follower keeps that snapshot the packs it lacks are
 *   pushed to it (`push`): it takes only the packs its kept snapshot names;
 * - joining: once a snapshot is shown, its packs are fetched from the
 *   follower that served it and the thumbnails they hold are stored here,
 *   checked (thumbnail-packs.ts, `load`); a thumbnail asked for meanwhile
 *   waits until its pack is in or every pack was tried (`ready`), then is
 *   fetched block by block if no pack gave it.
 * All of it is a shortcut: a pack not made, not pushed, refused or out of
 * reach leaves its thumbnails to the per-block fetch, so no thumbnail is lost;
 * a failure is logged, and a person is told nothing (nothing is wrong for them).
 */
import { CID } from 'multiformats/cid'
import type { ThreadDatabase } from '../core/db/index.ts'
import { ThreadsError } from '../core/errors.ts'
import { createLogger } from '../core/logger.ts'
import { PACK_LIMITS, packThumbnailFiles, parseManifest, parseMediaRef, type MediaBlock } from '../core/media/index.ts'
import type { KeyValueStore } from '../core/storage/interfaces.ts'
import { getValue, putValue } from '../core/storage/meta-values.ts'
import { PHOTOS } from './album-snapshot.ts'
import { PackChangedError } from './errors.ts'
import type { MediaBlocks } from './media-store.ts'
import { planPacks, type BuiltPack } from './pack-plan.ts'
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

/** A follower's block endpoints (GET and PUT /v1/blocks, POST /v1/held-blocks), where its web address is known. */
export interface FollowerBlocks {
  /** A block it holds; rejects (BlockNotFoundError) when it has none. */
  get(cid: CID, options: { signal?: AbortSignal }): Promise<Uint8Array>
  /** Hands it a block; rejects with its refusal. */
  put(block: MediaBlock, options: { signal?: AbortSignal }): Promise<void>
  /** Which of `cids` it holds, one boolean each; rejects when it cannot be asked. */
  held(cids: readonly CID[], options: { readonly signal?: AbortSignal }): Promise<boolean[]>
}

/**
 * The packs of an album's thumbnails, by CID, for a snapshot to name. Packs
 * made for this publication are kept in memory up to PACK_GROUP_BYTES to be
 * pushed; others (reused from before, or past that) are made again from their
 * thumbnails only if a follower lacks them, so a large album's packs are never
 * all in memory at once.
 */
export interface ThumbnailPacks {
  readonly cids: readonly CID[]
  /** Pushes the packs `follower` lacks once it keeps a snapshot naming them; returns how many it took and their bytes. */
  push(follower: FollowerBlocks): Promise<PacksPushed>
  /** Lets go of the packs kept in memory for pushing: later pushes make a pack again where a follower lacks it. */
  release(): void
}

/** What a push came to. */
export interface PacksPushed {
  /** Packs the follower took now. */
  readonly taken: number
  /** Bytes of the packs pushed (taken or not). */
  readonly bytes: number
  /** Packs it held already. */
  readonly held: number
}

/** The album service's thumbnail pack duties. */
export interface AlbumPacks {
  /**
   * The packs of the thumbnails of `thread`'s photos this device holds (none when it holds none): those
   * built before are reused while their thumbnails are all still shown; only the rest are read and packed.
   */
  make(thread: ThreadDatabase): Promise<ThumbnailPacks>
  /**
   * Starts loading the packs `thumbs` of the snapshot just shown for `thread`,
   * from `follower` (its block endpoint, else its peers through bitswap).
   */
  load(thread: ThreadDatabase, thumbs: readonly string[], follower?: FollowerBlocks): void
  /** Resolves once the thumbnail whose root is `root` is stored here from a pack of `thread`, or no pack of it is loading (at once when none is). */
  ready(thread: string, root: string): Promise<void>
  /** Forgets what this device recorded of `thread`'s packs (the album is removed from it). */
  forget(thread: string): Promise<void>
}

/** A join's packs loading: the thumbnails stored so far, and who waits for others. */
interface Loading {
  readonly run: Promise<void>
  readonly stored: Set<string>
  readonly waiting: Map<string, Array<() => void>>
}

/** The thumbnail refs of the photos `thread` shows now. */
const thumbnailsOf = (thread: ThreadDatabase): unknown[] => thread.collection(PHOTOS).find({}).flatMap((d) => d.thumbnail === undefined ? [] : [d.thumbnail])

/** A thumbnail's root as text, undefined for a ref not of the media format (a writer's: it is packed by nobody). */
function rootOf (value: unknown): string | undefined {
  try {
    return parseMediaRef(value).root.toString()
  } catch (error) {
    if (!(error instanceof ThreadsError)) throw error
    log('a thumbnail is left out of the packs: %s', error.message)
    return undefined
  }
}

/** The roots of the thumbnails `thread` shows, in the order their photos were added (then by id): new photos come last, so packs before them stay. */
function stableRoots (thread: ThreadDatabase): string[] {
  const roots = new Set<string>()
  // The query orders equal `addedAt` by id.
  for (const doc of thread.collection(PHOTOS).find({}, { sort: { addedAt: 1 } })) {
    const root = doc.thumbnail === undefined ? undefined : rootOf(doc.thumbnail)
    if (root !== undefined) roots.add(root)
  }
  return [...roots]
}

/** What this device records of an album's packs: each pack's CID and thumbnails, and the thumbnails it could not pack. */
interface PackRecord {
  readonly packs: readonly BuiltPack[]
  readonly left: readonly string[]
}

const recordKey = (thread: string): string => `media/packs/${thread}`

/** A record as stored, or none when absent or not of this shape (written by another version: the packs are all made again). */
function parseRecord (value: unknown): PackRecord {
  const none = { packs: [], left: [] }
  if (typeof value !== 'object' || value === null) return none
  const { packs, left } = value as Record<string, unknown>
  const texts = (list: unknown): list is string[] => Array.isArray(list) && list.every((t) => typeof t === 'string')
  if (!Array.isArray(packs) || !texts(left)) return none
  const shaped = (p: unknown): boolean => typeof p === 'object' && p !== null && typeof (p as BuiltPack).cid === 'string' && texts((p as BuiltPack).members) && Number.isSafeInteger((p as BuiltPack).bytes)
  if (!packs.every(shaped)) return none
  return { packs: packs as BuiltPack[], left }
}

/** Thumbnail packs over this device's media blocks; what was packed is recorded in `meta`. */
export function createAlbumPacks (blocks: MediaBlocks, meta: KeyValueStore): AlbumPacks {
  const loading = new Map<string, Loading>()

  /** A thumbnail's blocks, manifest first, as a pack takes them; undefined unless all are held here. */
  async function heldFile (root: string): Promise<MediaBlock[] | undefined> {
    try {
      const cid = CID.parse(root)
      const manifest = await blocks.getLocal(cid)
      if (manifest === undefined) return undefined
      const chunks = parseManifest(manifest).chunks
      const bytes = await Promise.all(chunks.map(async (c) => await blocks.getLocal(c)))
      if (bytes.some((b) => b === undefined)) return undefined
      return [{ cid, bytes: manifest }, ...chunks.map((c, i) => ({ cid: c, bytes: bytes[i]! }))]
    } catch (error) {
      if (!(error instanceof ThreadsError)) throw error
      log('a thumbnail is left out of the packs: %s', error.message)
      return undefined
    }
  }

  /**
   * Packs the thumbnails `roots` this device holds, a group of them at a time (PACK_GROUP_BYTES of thumbnails read
   * at once), `room` packs at most, handing each pack with its members to `each` in order; returns the roots
   * that could not be packed (not held whole, too large for a pack, past `room`).
   */
  async function eachPack (roots: readonly string[], room: number, each: (pack: MediaBlock, members: string[]) => void): Promise<string[]> {
    let made = 0
    let group: Array<{ root: string, file: MediaBlock[] }> = []
    let bytes = 0
    const left: string[] = []
    const flush = async (): Promise<void> => {
      const packs = group.length === 0 ? [] : await packThumbnailFiles(group.map((g) => g.file))
      const packed = new Set<number>()
      for (const pack of packs.slice(0, room - made)) {
        each(pack.block, pack.files.map((i) => { packed.add(i); return group[i]!.root }))
        made++
      }
      left.push(...group.flatMap((g, i) => packed.has(i) ? [] : [g.root]))
      group = []
      bytes = 0
    }
    for (const root of roots) {
      if (made >= room) { left.push(root); continue }
      const file = await heldFile(root)
      if (file === undefined) { left.push(root); continue }
      group.push({ root, file })
      bytes += file.reduce((n, b) => n + b.bytes.length, 0)
      if (bytes >= PACK_GROUP_BYTES) await flush()
    }
    await flush()
    return left
  }

  /** Pack `pack` made again from its thumbnails; PackChangedError when it comes out different (a thumbnail went from this device). */
  async function remake (pack: BuiltPack): Promise<MediaBlock> {
    const files: MediaBlock[][] = []
    for (const root of pack.members) {
      const file = await heldFile(root)
      if (file === undefined) throw new PackChangedError(`a thumbnail of the pack ${pack.cid} is no longer held here`)
      files.push(file)
    }
    const [made, ...more] = await packThumbnailFiles(files)
    if (made === undefined || more.length > 0 || made.block.cid.toString() !== pack.cid) throw new PackChangedError(`the thumbnail pack ${pack.cid} came out different when made again`)
    return made.block
  }

  return {
    async make (thread) {
      const before = parseRecord(await getValue(meta, recordKey(thread.id)))
      const plan = planPacks({ built: before.packs, shown: stableRoots(thread), left: new Set(before.left), maxBytes: PACK_LIMITS.maxBlockBytes })
      const kept = plan.kept.slice(0, PACK_LIMITS.maxBlocks)
      const built: BuiltPack[] = []
      /** Packs made now, by CID, kept to be pushed while they fit PACK_GROUP_BYTES. */
      let ready = new Map<string, MediaBlock>()
      let readyBytes = 0
      const left = await eachPack(plan.fresh, PACK_LIMITS.maxBlocks - kept.length, (pack, members) => {
        built.push({ cid: pack.cid.toString(), members, bytes: pack.bytes.length })
        if (readyBytes + pack.bytes.length > PACK_GROUP_BYTES) return
        ready.set(pack.cid.toString(), pack)
        readyBytes += pack.bytes.length
      })
      const packs = [...kept, ...built]
      await meta.batch([putValue(recordKey(thread.id), { packs, left } satisfies PackRecord)])
      const cids = packs.map((p) => CID.parse(p.cid))
      return {
        cids,
        async push (follower) {
          // What the follower holds already (a pack reused from before, pushed then) is not pushed again.
          const held = await follower.held(cids, { signal: AbortSignal.timeout(PACK_FETCH_TIMEOUT_MS) })
            .catch((error: unknown) => { log.failure('asking the follower which thumbnail packs it holds', error); return [] as boolean[] })
          const missing = packs.filter((_, i) => held[i] !== true)
          let taken = 0
          let bytes = 0
          let next = 0
          await Promise.all(Array.from({ length: Math.min(PUSH_IN_FLIGHT, missing.length) }, async () => {
            while (next < missing.length) {
              const pack = missing[next++]!
              try {
                const block = ready.get(pack.cid) ?? await remake(pack)
                bytes += block.bytes.length
                await follower.put(block, { signal: AbortSignal.timeout(PACK_FETCH_TIMEOUT_MS) })
                taken++
              } catch (error) {
                // Its thumbnails are fetched one by one by whoever joins.
                log.failure(`pushing the thumbnail pack ${pack.cid}`, error)
              }
            }
          }))
          return { taken, bytes, held: packs.length - missing.length }
        },
        release () { ready = new Map(); readyBytes = 0 }
      }
    },

    forget: async (thread) => { await meta.batch([{ type: 'delete', key: recordKey(thread) }]) },

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
