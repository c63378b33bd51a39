/**
 * Keeps exactly the media blocks that admitted records reference. A record
 * names, in its node (readable with the follow key), the media manifests its
 * event attaches and releases (docs/PROTOCOL.md, "Media"); a manifest lists
 * its chunks without any key. So the follower, holding follow keys only:
 * - records, in the same atomic write as the record, which manifests each
 *   thread attaches (kept) and releases (final: a released manifest is never
 *   kept again by that thread);
 * - fetches a kept manifest and its chunks over bitswap from whichever peer has
 *   them (the writer, usually), or takes them pushed by anyone (`accept`),
 *   checking every block against its CID and the size its manifest gives it;
 * - charges each thread that keeps a file its bytes (StorageQuotaError past
 *   the thread's limit: the file is not kept) and refunds them on release;
 * - refuses any other block (UnreferencedBlockError), and deletes a file's
 *   blocks once no thread keeps it, unless another kept file shares them.
 * Fetches that find no peer holding the blocks are tried again when a peer
 * connects, and every `retryMs`.
 *
 * It also keeps the thumbnail pack blocks (src/core/media/thumbnail-pack.ts)
 * that the snapshot a thread's shelf keeps names (`keepPacks`), pushed by
 * anyone, checked against their CID and size, charged to the thread once
 * (however many pushes of it arrive at once), and deleted when a newer snapshot no longer names them.
 */
import { CID } from 'multiformats/cid'
import { base32 } from 'multiformats/bases/base32'
import type { Blockstore } from 'interface-blockstore'
import { getAskingAgain } from '../src/adapters/libp2p/ask-again.ts'
import type { BlockNode } from '../src/adapters/libp2p/bitswap-node.ts'
import { ThreadsError } from '../src/core/errors.ts'
import type { CommitHook } from '../src/core/log/record-store.ts'
import { createLogger } from '../src/core/logger.ts'
import { MalformedMediaError } from '../src/core/media/errors.ts'
import { CHUNK_OVERHEAD, MEDIA_LIMITS, parseManifest, parseMediaCid, verifyMediaBlock, type MediaManifest } from '../src/core/media/format.ts'
import { PACK_LIMITS } from '../src/core/media/thumbnail-pack.ts'
import { listValues, putValue } from '../src/core/storage/meta-values.ts'
import type { BatchOperation, KeyValueStore } from '../src/core/storage/interfaces.ts'
import { UnreferencedBlockError } from './media-errors.ts'

const log = createLogger('follower:media')

/** Meta rows: REF + root + '/' + thread → [1] kept, [0] released. */
const REF = 'follower/media/ref/'
/** Meta rows: PACK + thread → the CIDs of the thumbnail pack blocks its kept snapshot names. */
const PACK = 'follower/media/pack/'
/** Files fetched at once; each asks for up to 8 chunks at a time (bitswap's want list holds 1,024). */
const MAX_FETCHES = 4
const KEPT = Uint8Array.of(1)
const RELEASED = Uint8Array.of(0)

/** How a thread's media bytes are charged against its quota. */
export interface MediaQuota {
  /** Counts `bytes` more for `thread`, or throws StorageQuotaError past its limit. */
  charge(thread: string, bytes: number): Promise<void>
  refund(thread: string, bytes: number): Promise<void>
}

/** What the keeper holds and waits for. */
export interface MediaStatus {
  /** Manifests some thread keeps. */
  readonly kept: number
  /** Of those, the ones held whole (manifest and every chunk). */
  readonly complete: number
  /** Kept manifests that could not be kept, with why (quota, malformed); `thread` when only that thread's keeping was refused. */
  readonly refused: ReadonlyArray<{ readonly root: string, readonly thread?: string, readonly error: string }>
}

/** The follower's media keeper. */
export interface MediaKeeper {
  /** The commit hook of records of `thread`: records what they attach and release with them. */
  hook(thread: string): CommitHook
  /** Takes a block pushed by anyone: kept only if a kept manifest is it or lists it, or a kept snapshot names it as a thumbnail pack. */
  accept(cid: string, bytes: Uint8Array): Promise<void>
  /** A block held here (what bitswap serves to anyone); undefined when not held. */
  get(cid: string): Promise<Uint8Array | undefined>
  /** The thumbnail pack blocks `thread`'s newly kept snapshot names: they replace those of its previous one. */
  keepPacks(thread: string, cids: readonly string[]): Promise<void>
  status(): MediaStatus
  /** Resolves once nothing is being fetched or dropped (tests and shutdown). */
  idle(): Promise<void>
  stop(): Promise<void>
}

/** A held manifest and what it costs. */
interface HeldManifest {
  readonly manifest: MediaManifest
  /** Bytes of the manifest block and every sealed chunk. */
  readonly bytes: number
}

const mhKey = (cid: CID): string => base32.encode(cid.multihash.bytes)

/** Starts the keeper: loads what threads keep and fetches whatever of it is missing. */
export async function startMediaKeeper (deps: {
  readonly meta: KeyValueStore
  /** The blockstore on disk (local reads, writes and deletes). */
  readonly store: Blockstore
  /** The Helia node over the follower's libp2p (fetches over bitswap into `store`, serves from it). */
  readonly node: BlockNode
  readonly quota: MediaQuota
  readonly fetchTimeoutMs?: number
  readonly retryMs?: number
}): Promise<MediaKeeper> {
  const { meta, store, node, quota } = deps
  const fetchTimeoutMs = deps.fetchTimeoutMs ?? 60_000
  /** root → threads keeping it. */
  const kept = new Map<string, Set<string>>()
  /** "root/thread" of every release (final). */
  const released = new Set<string>()
  /** root → its manifest, once held. */
  const manifests = new Map<string, HeldManifest>()
  /** multihash of a held block → roots whose file it belongs to. */
  const owners = new Map<string, Set<string>>()
  /** root → threads charged for it. */
  const charged = new Map<string, Set<string>>()
  const complete = new Set<string>()
  /** Refusals by root (the file) or root/thread (one thread's share of it). */
  const refused = new Map<string, { readonly root: string, readonly thread?: string, readonly error: string }>()
  /** Kept files not held whole that no peer gave yet: tried again on a new peer and every retryMs. */
  const waiting = new Set<string>()
  /** Kept files waiting for a fetch slot, in order. */
  const queued = new Set<string>()
  const running = new Map<string, Promise<void>>()
  let stopped = false
  const controller = new AbortController()

  /** thread → the thumbnail pack blocks its kept snapshot names. */
  const packs = new Map<string, ReadonlySet<string>>()
  for await (const [key, cids] of listValues<string[]>(meta, PACK)) packs.set(key.slice(PACK.length), new Set(cids))
  const packOwner = (cid: string): string | undefined => [...packs].find(([, cids]) => cids.has(cid))?.[0]
  /** Pack blocks being taken, by CID. */
  const packsTaken = new Map<string, Promise<void>>()

  /** Checks a pushed pack block and keeps it, charging `packer` unless it is held already. */
  async function takePack (packer: string, cid: CID, bytes: Uint8Array): Promise<void> {
    await verifyMediaBlock(cid, bytes, PACK_LIMITS.maxBlockBytes, 'thumbnail pack')
    if (await store.has(cid)) return
    await quota.charge(packer, bytes.length)
    await keep(cid, bytes)
  }

  for await (const [key, value] of meta.list(REF)) {
    const [root, thread] = key.slice(REF.length).split('/') as [string, string]
    if (value[0] === 1) add(kept, root, thread)
    else released.add(`${root}/${thread}`)
  }

  function add (map: Map<string, Set<string>>, key: string, value: string): void {
    let set = map.get(key)
    if (set === undefined) map.set(key, set = new Set())
    set.add(value)
  }

  /** Indexes a held manifest's blocks under its root. */
  function index (root: string, held: HeldManifest): void {
    manifests.set(root, held)
    add(owners, mhKey(CID.parse(root)), root)
    for (const chunk of held.manifest.chunks) add(owners, mhKey(chunk), root)
  }

  async function localBytes (cid: CID): Promise<Uint8Array | undefined> {
    if (!await store.has(cid)) return undefined
    const parts: Uint8Array[] = []
    for await (const part of store.get(cid)) parts.push(part)
    return parts.length === 1 ? parts[0] : Buffer.concat(parts)
  }

  /** Fetchers waiting for a block, by multihash: a push of it ends their wait. */
  const arrivals = new Map<string, Set<(bytes: Uint8Array) => void>>()

  /** A block from whichever peer has it over bitswap, or from a push, whichever comes first. */
  async function networkBytes (cid: CID, signal: AbortSignal): Promise<Uint8Array> {
    const key = mhKey(cid)
    const done = new AbortController()
    let arrived: (bytes: Uint8Array) => void = () => {}
    const pushed = new Promise<Uint8Array>((resolve) => { arrived = resolve })
    let waiters = arrivals.get(key)
    if (waiters === undefined) arrivals.set(key, waiters = new Set())
    waiters.add(arrived)
    const fetched = (async () => {
      // A want a peer dropped is made again (ask-again.ts) until the block comes or the fetch's time is up.
      const parts = await getAskingAgain(node.blockstore, cid, { signal: AbortSignal.any([signal, done.signal]) })
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    })()
    try {
      return await Promise.race([fetched, pushed])
    } finally {
      done.abort()
      waiters.delete(arrived)
      if (waiters.size === 0) arrivals.delete(key)
    }
  }

  /**
   * Stores a checked block through Helia, which tells bitswap: a fetch waiting
   * for it (the same file, asked of peers) gets it at once.
   */
  async function keep (cid: CID, bytes: Uint8Array): Promise<void> {
    if (!await store.has(cid)) await node.blockstore.put(cid, bytes)
    for (const arrived of arrivals.get(mhKey(cid)) ?? []) arrived(bytes)
  }

  /** Checks a manifest's bytes and indexes it; charges the threads keeping it. */
  async function takeManifest (root: string, bytes: Uint8Array): Promise<HeldManifest> {
    const cid = CID.parse(root)
    await verifyMediaBlock(cid, bytes, MEDIA_LIMITS.maxManifestBytes, 'manifest')
    const manifest = parseManifest(bytes)
    const held = { manifest, bytes: bytes.length + manifest.size + manifest.chunks.length * CHUNK_OVERHEAD }
    await chargeKeepers(root, held.bytes)
    await keep(cid, bytes)
    index(root, held)
    return held
  }

  /**
   * Charges each thread keeping `root` that is not charged yet. A thread past
   * its quota stops keeping the file (the refusal is its own: another thread
   * keeping the same file, whose manifest CID anyone may learn, keeps it);
   * throws only when no thread keeps it any more.
   */
  async function chargeKeepers (root: string, bytes: number): Promise<void> {
    let refusal: ThreadsError | undefined
    for (const thread of [...kept.get(root) ?? []]) {
      if (charged.get(root)?.has(thread) === true) continue
      // Marked before the charge is awaited: the same manifest taken twice at once (pushed, fetched) is charged once.
      add(charged, root, thread)
      try {
        await quota.charge(thread, bytes)
      } catch (error) {
        charged.get(root)?.delete(thread)
        if (!(error instanceof ThreadsError)) throw error
        refusal = error
        kept.get(root)?.delete(thread)
        refused.set(`${root}/${thread}`, { root, thread, error: `${error.name}: ${error.message}` })
        log.failure(`thread ${thread} may not keep media ${root}`, error)
      }
    }
    if (refusal !== undefined && kept.get(root)?.size === 0) {
      kept.delete(root)
      throw refusal
    }
  }

  /** Charges the new keepers of a file held whole; never rejects (a refusal is reported in the status). */
  async function chargeHeld (root: string, held: HeldManifest): Promise<void> {
    try {
      await chargeKeepers(root, held.bytes)
    } catch (error) {
      if (!(error instanceof ThreadsError)) throw error
      refused.set(root, { root, error: `${error.name}: ${error.message}` })
      await drop(root)
    }
  }

  /** The expected sealed length of each chunk of a manifest. */
  const chunkBytes = (manifest: MediaManifest, i: number): number =>
    Math.min(manifest.chunkSize, manifest.size - i * manifest.chunkSize) + CHUNK_OVERHEAD

  /** Fetches what is missing of a kept file. */
  async function fetch (root: string): Promise<void> {
    // Each block gets its own time: a large file on a slow link is not cut off half way.
    const signal = (): AbortSignal => AbortSignal.any([controller.signal, AbortSignal.timeout(fetchTimeoutMs)])
    const cid = CID.parse(root)
    let held = manifests.get(root)
    if (held === undefined) {
      const bytes = await localBytes(cid) ?? await networkBytes(cid, signal())
      held = await takeManifest(root, bytes)
    } else {
      await chargeKeepers(root, held.bytes)
    }
    const { manifest } = held
    const missing: number[] = []
    for (let i = 0; i < manifest.chunks.length; i++) if (!await store.has(manifest.chunks[i]!)) missing.push(i)
    // A few chunks in flight at once: bitswap asks every connected peer for each.
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < missing.length && kept.has(root)) {
        const i = missing[next++]!
        const chunk = manifest.chunks[i]!
        const bytes = await networkBytes(chunk, signal())
        if (bytes.length !== chunkBytes(manifest, i)) {
          await store.delete(chunk)
          throw new MalformedMediaError(`chunk ${i} (${chunk.toString()}) of ${root} is ${bytes.length} bytes where its manifest gives ${chunkBytes(manifest, i)}`)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(8, missing.length) }, worker))
    if (kept.has(root)) complete.add(root)
  }

  /** Starts fetching a kept file unless it is held whole or being fetched; past MAX_FETCHES at once, it waits its turn. */
  function schedule (root: string): void {
    if (stopped || !kept.has(root) || complete.has(root) || running.has(root)) return
    if (running.size >= MAX_FETCHES) {
      queued.add(root)
      return
    }
    queued.delete(root)
    waiting.delete(root)
    const run = fetch(root).catch((error: unknown) => {
      if (controller.signal.aborted) return
      if (error instanceof ThreadsError) {
        // Quota, malformed manifest, too large: keeping it again would fail the same way.
        refused.set(root, { root, error: `${error.name}: ${error.message}` })
        log.failure(`refusing media ${root}`, error)
        // Not kept in memory (the rows stay, so a restart tries again, when the quota may allow it).
        kept.delete(root)
      } else {
        // Nobody connected holds it yet, or the fetch timed out: try again later.
        waiting.add(root)
        log(`media ${root} not fetched yet: ${(error as Error).message}`)
      }
    }).finally(() => {
      running.delete(root)
      // Released while it was being fetched: what arrived meanwhile goes.
      if (!kept.has(root)) void drop(root).catch((error: unknown) => { log.failure(`dropping media ${root}`, error) })
      const next = queued.values().next()
      if (next.done !== true) schedule(next.value)
    })
    running.set(root, run)
  }

  /** Deletes a file's blocks that no kept file shares, and refunds its keepers. */
  async function drop (root: string): Promise<void> {
    const held = manifests.get(root)
    for (const thread of charged.get(root) ?? []) {
      if (kept.get(root)?.has(thread) === true) continue
      charged.get(root)!.delete(thread)
      if (held !== undefined) await quota.refund(thread, held.bytes)
    }
    if (kept.has(root)) return
    if (held === undefined) {
      // Refused before it was indexed: a manifest fetched (or pushed) already must still go.
      if (!owners.has(mhKey(CID.parse(root)))) await store.delete(CID.parse(root))
      return
    }
    manifests.delete(root)
    complete.delete(root)
    for (const cid of [CID.parse(root), ...held.manifest.chunks]) {
      const roots = owners.get(mhKey(cid))
      roots?.delete(root)
      if (roots === undefined || roots.size === 0) {
        owners.delete(mhKey(cid))
        await store.delete(cid)
      }
    }
  }

  // Manifests already held are indexed from disk; the rest of every kept file is fetched.
  for (const root of kept.keys()) {
    const bytes = await localBytes(CID.parse(root))
    if (bytes !== undefined) {
      const manifest = parseManifest(bytes)
      const held = { manifest, bytes: bytes.length + manifest.size + manifest.chunks.length * CHUNK_OVERHEAD }
      index(root, held)
      // Charged when it was first taken.
      for (const thread of kept.get(root)!) add(charged, root, thread)
    }
    schedule(root)
  }

  const retry = (): void => { for (const root of [...waiting]) schedule(root) }
  node.libp2p.addEventListener('peer:identify', retry)
  const timer = setInterval(retry, deps.retryMs ?? 30_000)
  timer.unref()

  return {
    hook: (thread) => async ({ node: record }) => {
      if (record.attachments === undefined && record.releases === undefined) return { operations: [] }
      const operations: BatchOperation[] = []
      const releases = record.releases ?? []
      const attaches: string[] = []
      for (const root of releases) {
        released.add(`${root}/${thread}`)
        operations.push({ type: 'put', key: `${REF}${root}/${thread}`, value: RELEASED })
      }
      for (const root of record.attachments ?? []) {
        if (released.has(`${root}/${thread}`) || kept.get(root)?.has(thread) === true) continue
        attaches.push(root)
        operations.push({ type: 'put', key: `${REF}${root}/${thread}`, value: KEPT })
      }
      return {
        operations,
        committed: () => {
          for (const root of releases) {
            kept.get(root)?.delete(thread)
            if (kept.get(root)?.size === 0) kept.delete(root)
            void drop(root).catch((error: unknown) => { log.failure(`dropping media ${root}`, error) })
          }
          for (const root of attaches) {
            add(kept, root, thread)
            const held = manifests.get(root)
            // A file held whole already: the new keeper is charged for it too (a file is no free ride).
            if (held !== undefined && complete.has(root)) void chargeHeld(root, held).catch((error: unknown) => { log.failure(`charging media ${root}`, error) })
            else schedule(root)
          }
        }
      }
    },

    get: async (text) => await localBytes(parseMediaCid(text)),

    async accept (text, bytes) {
      const cid = parseMediaCid(text)
      const root = cid.toString()
      if (kept.has(root)) {
        if (!manifests.has(root)) await takeManifest(root, bytes)
        schedule(root)
        return
      }
      for (const owner of owners.get(mhKey(cid)) ?? []) {
        const held = manifests.get(owner)
        const i = held?.manifest.chunks.findIndex((c) => c.equals(cid)) ?? -1
        if (held === undefined || i < 0) continue
        await verifyMediaBlock(cid, bytes, chunkBytes(held.manifest, i), `chunk ${i} of ${owner}`)
        await keep(cid, bytes)
        return
      }
      const packer = packOwner(root)
      if (packer !== undefined) {
        // The same pack pushed again while it is being taken waits for that take: charged once.
        let taking = packsTaken.get(root)
        if (taking === undefined) {
          taking = takePack(packer, cid, bytes).finally(() => { packsTaken.delete(root) })
          packsTaken.set(root, taking)
        }
        await taking
        return
      }
      throw new UnreferencedBlockError(`no record this follower holds references block ${root.slice(0, 80)}; it keeps only the media of the threads it follows`)
    },

    async keepPacks (thread, cids) {
      const before = packs.get(thread) ?? new Set<string>()
      await meta.batch([cids.length === 0 ? { type: 'delete', key: PACK + thread } : putValue(PACK + thread, [...cids])])
      packs.set(thread, new Set(cids))
      for (const old of before) {
        if (packOwner(old) !== undefined) continue
        const bytes = await localBytes(CID.parse(old))
        if (bytes === undefined) continue
        await store.delete(CID.parse(old))
        await quota.refund(thread, bytes.length)
      }
    },

    status: () => ({ kept: kept.size, complete: [...kept.keys()].filter((r) => complete.has(r)).length, refused: [...refused.values()].slice(-20) }),

    async idle () {
      while (running.size > 0) await Promise.allSettled([...running.values()])
    },

    async stop () {
      stopped = true
      clearInterval(timer)
      node.libp2p.removeEventListener('peer:identify', retry)
      controller.abort()
      await Promise.allSettled([...running.values()])
    }
  }
}
