/**
 * Where a device's media blocks live and how they are fetched: the local
 * blockstore, else peers (bitswap through Helia in the worker), with a small
 * window of chunks asked for ahead of the one being opened, so a file comes
 * at the pace of the connection rather than one round trip per chunk.
 *
 * What this device keeps (in its metadata store, beside the database;
 * held-originals.ts has the rule):
 * - its own originals, marked `own`: kept until a backup server (a
 *   follower, which pins what records reference; each follower whose web
 *   address is known is asked) has confirmed it holds every block of the
 *   file, and after that evictable like a fetched one, checked with the
 *   servers again just before;
 * - originals fetched to be looked at or saved, with when they were last
 *   used: evicted least recently used first while storage is under pressure,
 *   except in albums whose originals this device keeps;
 * - per album, whether to keep its originals on this device.
 * Thumbnails and previews are small and always kept. Confirming and evicting
 * run one at a time, so neither writes back an entry the other removed.
 */
import { CID } from 'multiformats/cid'
import { groupWrites } from '../core/group-writes.ts'
import { createLogger } from '../core/logger.ts'
import { mediaBlockCids, parseManifest, readManifest, type BlockGetter, type MediaBlock, type MediaRef } from '../core/media/index.ts'
import type { KeyValueStore } from '../core/storage/interfaces.ts'
import { getValue, listValues, putValue } from '../core/storage/meta-values.ts'
import { confirmOwn, countOwn, evictionOrder, HELD_PREFIX, heldDeletes, heldKey, heldWrites, indexOwn, ownOf, serverHoldsFile, type BackupServer, type HeldOriginal, type OwnOriginals } from './held-originals.ts'

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
  /** The servers that may confirm they hold this device's own originals, as known now; without any they are never evicted. */
  readonly backups?: () => readonly BackupServer[]
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
  /**
   * Evicts originals that may go (held-originals.ts), least recently used first, while storage is under pressure;
   * returns how many.
   */
  evict(): Promise<number>
  /**
   * Asks the backup servers, one after another, about this device's own originals not yet confirmed (of `thread`, or
   * all), and records each file one of them holds whole; returns how many were confirmed. Rejects when no server
   * could be asked.
   */
  confirm(options?: { readonly thread?: string, readonly only?: ReadonlySet<string>, readonly signal?: AbortSignal }): Promise<number>
  /**
   * {@link MediaStore.ownOriginals} after asking the backup servers about those not yet confirmed, in one read of
   * the album's entries; a server out of reach leaves the counts as they stand.
   */
  checkOwnOriginals(thread: string, options?: { readonly only?: ReadonlySet<string>, readonly signal?: AbortSignal }): Promise<OwnOriginals>
  /**
   * How many of `thread`'s originals this device added and holds (of those whose manifest CID is in `only`, where
   * given: the photos the album still has), and how many of those a backup server confirmed.
   */
  ownOriginals(thread: string, only?: ReadonlySet<string>): Promise<OwnOriginals>
}
const keepKey = (thread: string): string => `media/keep/${thread}`
const DAG_CBOR = 0x71

/** Makes a device's media store. */
export function createMediaStore (options: MediaStoreOptions): MediaStore {
  const { blocks, meta } = options
  const windowSize = options.window ?? 4
  const pressure = options.pressure ?? 0.8
  let evicting: Promise<number> | undefined
  // Evicting and confirming take turns: a confirmation written back after its file was evicted would claim a file not held.
  let turn: Promise<unknown> = Promise.resolve()
  const inTurn = <T>(run: () => Promise<T>): Promise<T> => {
    const mine = turn.then(run)
    // The next turn waits for this one to settle; its outcome, failure included, is its caller's.
    turn = Promise.allSettled([mine])
    return mine
  }
  // Photos added together are marked in one write, not one each.
  const markGrouped = groupWrites<{ thread: string, ref: MediaRef }>(async (marks) => {
    const at = Date.now()
    await meta.batch(marks.flatMap(({ thread, ref }) => heldWrites(ref.root, { thread, at, own: true, size: ref.size })))
  })
  const backups = options.backups ?? (() => [])
  const getLocal = async (cid: CID): Promise<Uint8Array | undefined> => await blocks.getLocal(cid)
  /** The by-album entries of own originals recorded before they existed, written once before they are first read. */
  let indexing: Promise<void> | undefined
  const indexed = async (): Promise<void> => {
    indexing ??= indexOwn(meta).catch((error: unknown) => { indexing = undefined; throw error })
    await indexing
  }

  /** Asks the servers in turn about `entries` until each is confirmed or every server was asked; rejects when none could be. */
  const confirmWithAny = async (entries: ReadonlyArray<readonly [string, HeldOriginal]>, signal?: AbortSignal): Promise<Map<string, HeldOriginal>> => {
    const confirmed = new Map<string, HeldOriginal>()
    let left = entries.filter(([, held]) => held.confirmed === undefined)
    let failure: unknown
    let answered = false
    for (const server of backups()) {
      if (left.length === 0) break
      try {
        const now = await confirmOwn({ meta, getLocal, server, entries: left, ...(signal === undefined ? {} : { signal }) })
        answered = true
        for (const [root, held] of now) confirmed.set(root, held)
        left = left.filter(([root]) => !now.has(root))
      } catch (error) {
        failure ??= error
        log.failure(`asking the backup server ${server.name} about own originals`, error)
      }
    }
    if (!answered && failure !== undefined) throw failure
    return confirmed
  }

  /**
   * Whether a backup server (the one that confirmed it first) still holds all of own original `root` now; if none
   * does, its confirmation is taken back. Rejects when none holds it and one could not be asked: it stays here.
   */
  const stillConfirmed = async (held: HeldOriginal, root: CID): Promise<boolean> => {
    const servers = [...backups()].sort((a, b) => Number(b.name === held.confirmed?.by) - Number(a.name === held.confirmed?.by))
    if (servers.length === 0) return false
    let failure: unknown
    for (const server of servers) {
      try {
        if (await serverHoldsFile(server, root, getLocal, AbortSignal.timeout(30_000))) return true
      } catch (error) {
        failure ??= error
      }
    }
    if (failure !== undefined) throw failure
    const { confirmed: _, ...unconfirmed } = held
    await meta.batch(heldWrites(root, unconfirmed))
    return false
  }

  const underPressure = async (): Promise<boolean> => {
    if (options.estimate === undefined) return false
    const { usage, quota } = await options.estimate()
    return quota > 0 && usage > quota * pressure
  }

  const evictOnce = async (): Promise<number> => {
    if (!await underPressure()) return 0
    const entries: Array<[string, HeldOriginal]> = []
    for await (const entry of listValues<HeldOriginal>(meta, HELD_PREFIX)) entries.push(entry)
    const kept = new Map<string, boolean>()
    for (const [, held] of entries) if (!kept.has(held.thread)) kept.set(held.thread, await store.keeps(held.thread))
    let evicted = 0
    for (const [key, held] of evictionOrder(entries, (thread) => kept.get(thread) === true)) {
      const root = key.slice(HELD_PREFIX.length)
      try {
        const cid = CID.parse(root)
        // This device's own copy goes only while the server still holds every block of it.
        if (held.own && !await stillConfirmed(held, cid)) continue
        const manifest = await readManifest(cid, async (c) => await blocks.getLocal(c))
        await blocks.delete(mediaBlockCids(cid, manifest))
      } catch (error) {
        log.failure(`evicting the original ${root}`, error)
        if (held.own) continue
      }
      await meta.batch(heldDeletes(root, held))
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
      // An own original keeps its mark and confirmation; only when it was last used changes.
      const now: HeldOriginal = held?.own === true ? { ...held, at: Date.now() } : { thread, at: Date.now(), own: false, size: ref.size }
      await meta.batch(heldWrites(ref.root, now))
      await store.evict()
    },
    holds: async (ref) => await meta.has(heldKey(ref.root)),
    keeps: async (thread) => await getValue<boolean>(meta, keepKey(thread)) === true,
    async setKeeps (thread, keep) {
      await meta.batch([keep ? putValue(keepKey(thread), true) : { type: 'delete', key: keepKey(thread) }])
    },
    async evict () {
      // One eviction at a time: two would count the same pressure twice.
      evicting ??= inTurn(evictOnce).finally(() => { evicting = undefined })
      return await evicting
    },
    async confirm (which = {}) {
      if (backups().length === 0) return 0
      return await inTurn(async () => {
        await indexed()
        const entries: Array<[string, HeldOriginal]> = []
        if (which.thread !== undefined) entries.push(...await ownOf(meta, which.thread, which.only))
        else for await (const [key, held] of listValues<HeldOriginal>(meta, HELD_PREFIX)) if (held.own) entries.push([key.slice(HELD_PREFIX.length), held])
        return (await confirmWithAny(entries, which.signal)).size
      })
    },
    async checkOwnOriginals (thread, which = {}) {
      return await inTurn(async () => {
        await indexed()
        const entries = await ownOf(meta, thread, which.only)
        // Confirmations are sought when someone looks: a server out of reach leaves the counts as they were.
        const confirmed = await confirmWithAny(entries, which.signal)
          .catch((error: unknown) => { log.failure(`asking the backup servers about the originals of ${thread}`, error); return new Map<string, HeldOriginal>() })
        return countOwn(entries.map(([root, held]) => [root, confirmed.get(root) ?? held]))
      })
    },
    async ownOriginals (thread, only) {
      await indexed()
      return countOwn(await ownOf(meta, thread, only))
    }
  }
  return store
}
