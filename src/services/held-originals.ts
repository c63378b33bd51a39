/**
 * The originals a device holds whole, as its media store records them (one
 * metadata entry per file, `media/held/<root>`), the rule that says which of
 * them may be evicted, and confirming with a backup server that it holds a
 * device's own originals.
 *
 * The rule ({@link mayEvict}): an original of an album this device keeps is
 * never evicted; one this device added (`own`) only once a backup server has
 * confirmed it holds every block of that file (manifest and each chunk);
 * the rest in least recently used order ({@link evictionOrder}). A
 * confirmation is recorded with the file's entry, so it holds after a restart,
 * and is checked again before the file is let go: a server that has since lost
 * a block (the photo was removed, its disk was replaced) makes the file
 * unconfirmed again, and one that cannot be asked keeps the file here.
 */
import { CID } from 'multiformats/cid'
import { BlockNotFoundError } from '../core/errors.ts'
import { createLogger } from '../core/logger.ts'
import { mediaBlockCids, readManifest } from '../core/media/index.ts'
import type { KeyValueStore } from '../core/storage/interfaces.ts'
import { listValues, putValue } from '../core/storage/meta-values.ts'

const log = createLogger('services:held-originals')

/** What a device records of an original it holds whole. */
export interface HeldOriginal {
  readonly thread: string
  /** ms since the epoch of the last use (for this device's own: when added, or last opened); 0 when unknown. */
  readonly at: number
  /** Added on this device: its copy may be the only one. */
  readonly own: boolean
  readonly size: number
  /** For an own original: when a backup server confirmed it holds every block of the file, and which. */
  readonly confirmed?: { readonly by: string, readonly at: number }
}

/** A server that can say which blocks it holds (a follower's POST /v1/held-blocks). */
export interface BackupServer {
  /** Names the server in what the device records (its web address). */
  readonly name: string
  /** One boolean per CID, in order: whether the server holds that block. Rejects when it cannot be asked. */
  held(cids: readonly CID[], options: { readonly signal?: AbortSignal }): Promise<boolean[]>
}

/** The metadata key prefix of held originals. */
export const HELD_PREFIX = 'media/held/'
export const heldKey = (root: CID | string): string => `${HELD_PREFIX}${root.toString()}`

/** Whether `held` may be evicted: never in an album this device keeps, never this device's own until a backup server confirmed it. */
export function mayEvict (held: HeldOriginal, albumKept: boolean): boolean {
  if (albumKept) return false
  return !held.own || held.confirmed !== undefined
}

/** The entries that may be evicted, least recently used first. */
export function evictionOrder<K> (entries: ReadonlyArray<readonly [K, HeldOriginal]>, albumKept: (thread: string) => boolean): Array<readonly [K, HeldOriginal]> {
  return entries.filter(([, held]) => mayEvict(held, albumKept(held.thread))).sort((a, b) => a[1].at - b[1].at)
}

/** How many of an album's originals this device added, and of those how many a backup server confirmed it holds. */
export interface OwnOriginals {
  readonly own: number
  readonly confirmed: number
}

/** Counts the own originals of `thread` this device holds (those whose manifest CID is in `only`, where given), and the confirmed among them. */
export async function countOwn (meta: KeyValueStore, thread: string, only?: ReadonlySet<string>): Promise<OwnOriginals> {
  let own = 0
  let confirmed = 0
  for await (const [key, held] of listValues<HeldOriginal>(meta, HELD_PREFIX)) {
    if (!held.own || held.thread !== thread || (only !== undefined && !only.has(key.slice(HELD_PREFIX.length)))) continue
    own++
    if (held.confirmed !== undefined) confirmed++
  }
  return { own, confirmed }
}

/** A block on this device only; undefined when not held. */
type LocalBlock = (cid: CID) => Promise<Uint8Array | undefined>

/** Every block of the file whose manifest is `root`, from this device's copy; undefined when the manifest is not here. */
async function fileBlocks (root: CID, getLocal: LocalBlock): Promise<CID[] | undefined> {
  try {
    return mediaBlockCids(root, await readManifest(root, getLocal))
  } catch (error) {
    if (error instanceof BlockNotFoundError) return undefined
    throw error
  }
}

/** Whether `server` holds every block of the file `root`; rejects when it cannot be asked. */
export async function serverHoldsFile (server: BackupServer, root: CID, getLocal: LocalBlock, signal?: AbortSignal): Promise<boolean> {
  const cids = await fileBlocks(root, getLocal)
  if (cids === undefined) return false
  const held = await server.held(cids, { ...(signal === undefined ? {} : { signal }) })
  return held.length === cids.length && held.every(Boolean)
}

/** CIDs asked of a server in one question, about (files are grouped until this is reached; the server's client splits longer questions). */
const CIDS_PER_QUESTION = 1024

/** Options of {@link confirmOwn}. */
export interface ConfirmOptions {
  readonly meta: KeyValueStore
  readonly getLocal: LocalBlock
  readonly server: BackupServer
  /** Only this album's originals; all albums' unless given. */
  readonly thread?: string
  /** Only the originals whose manifest CID is in this set (the photos an album still has); all unless given. */
  readonly only?: ReadonlySet<string>
  readonly signal?: AbortSignal
}

/**
 * Asks `server` about this device's own originals not yet confirmed, files
 * grouped into questions of about {@link CIDS_PER_QUESTION} CIDs, and records
 * a confirmation for each file all of whose blocks it holds (one metadata
 * write per question); returns how many were confirmed. A question that
 * fails ends the pass with its error; what was confirmed before stays.
 */
export async function confirmOwn (options: ConfirmOptions): Promise<number> {
  const { meta, server } = options
  // The entries first (metadata only); each file's manifest is read as its question is made, so a server out of
  // reach costs the manifests of one question, not of every file waiting.
  const waiting: Array<[CID, HeldOriginal]> = []
  for await (const [key, held] of listValues<HeldOriginal>(meta, HELD_PREFIX)) {
    const root = key.slice(HELD_PREFIX.length)
    if (!held.own || held.confirmed !== undefined || (options.thread !== undefined && held.thread !== options.thread)) continue
    if (options.only !== undefined && !options.only.has(root)) continue
    waiting.push([CID.parse(root), held])
  }
  let confirmed = 0
  let next = 0
  while (next < waiting.length) {
    options.signal?.throwIfAborted()
    const group: Array<{ root: CID, held: HeldOriginal, cids: CID[] }> = []
    let size = 0
    while (next < waiting.length && size < CIDS_PER_QUESTION) {
      const [root, held] = waiting[next++]!
      const cids = await fileBlocks(root, options.getLocal)
      if (cids === undefined) { log('the own original %s has no manifest here; not asking about it', root.toString()); continue }
      group.push({ root, held, cids })
      size += cids.length
    }
    if (group.length === 0) break
    const answer = await server.held(group.flatMap((f) => f.cids), { ...(options.signal === undefined ? {} : { signal: options.signal }) })
    const at = Date.now()
    let offset = 0
    const writes = []
    for (const file of group) {
      const all = answer.slice(offset, offset + file.cids.length).every(Boolean)
      offset += file.cids.length
      if (all) writes.push(putValue(heldKey(file.root), { ...file.held, confirmed: { by: server.name, at } } satisfies HeldOriginal))
    }
    if (writes.length > 0) await meta.batch(writes)
    confirmed += writes.length
  }
  return confirmed
}
