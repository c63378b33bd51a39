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
 * Several servers may be asked (each follower whose web address is known):
 * one that holds every block of a file is enough.
 *
 * An own original's entry is written twice in one batch: under its root
 * (`media/held/<root>`, what `holds` and eviction read) and under its album
 * (`media/own/<thread>/<root>`), so counting and confirming an album's own
 * originals reads that album's entries alone, in one key range.
 */
import { CID } from 'multiformats/cid'
import { BlockNotFoundError } from '../core/errors.ts'
import { createLogger } from '../core/logger.ts'
import { mediaBlockCids, readManifest } from '../core/media/index.ts'
import type { KeyValueStore } from '../core/storage/interfaces.ts'
import type { BatchOperation } from '../core/storage/interfaces.ts'
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
/** The prefix of an album's own originals' entries (the same entries, by album). */
const ownPrefix = (thread: string): string => `media/own/${thread}/`
/** Set once the entries by album were written for every own original recorded before they existed. */
const OWN_INDEXED = 'media/own-indexed'

/** The writes that record `held` for the original `root`: under its root, and, for an own original, under its album. */
export function heldWrites (root: CID | string, held: HeldOriginal): BatchOperation[] {
  const writes = [putValue(heldKey(root), held)]
  if (held.own) writes.push(putValue(`${ownPrefix(held.thread)}${root.toString()}`, held))
  return writes
}

/** The writes that forget the original `root` recorded as `held`. */
export function heldDeletes (root: CID | string, held: HeldOriginal): BatchOperation[] {
  const deletes: BatchOperation[] = [{ type: 'delete', key: heldKey(root) }]
  if (held.own) deletes.push({ type: 'delete', key: `${ownPrefix(held.thread)}${root.toString()}` })
  return deletes
}

/** Writes the by-album entries of own originals recorded before they existed, once per store (a single pass). */
export async function indexOwn (meta: KeyValueStore): Promise<void> {
  if (await meta.has(OWN_INDEXED)) return
  const writes: BatchOperation[] = []
  for await (const [key, held] of listValues<HeldOriginal>(meta, HELD_PREFIX)) {
    if (held.own) writes.push(...heldWrites(key.slice(HELD_PREFIX.length), held))
  }
  await meta.batch([...writes, putValue(OWN_INDEXED, true)])
}

/** The own originals of `thread` this device holds (those whose root is in `only`, where given), by root text. */
export async function ownOf (meta: KeyValueStore, thread: string, only?: ReadonlySet<string>): Promise<Array<[string, HeldOriginal]>> {
  const prefix = ownPrefix(thread)
  const out: Array<[string, HeldOriginal]> = []
  for await (const [key, held] of listValues<HeldOriginal>(meta, prefix)) {
    const root = key.slice(prefix.length)
    if (only === undefined || only.has(root)) out.push([root, held])
  }
  return out
}

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

/** Counts `entries` (own originals) and the confirmed among them. */
export function countOwn (entries: ReadonlyArray<readonly [string, HeldOriginal]>): OwnOriginals {
  return { own: entries.length, confirmed: entries.filter(([, held]) => held.confirmed !== undefined).length }
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
  /** The own originals to ask about (root text and entry); those confirmed already are passed over. */
  readonly entries: ReadonlyArray<readonly [string, HeldOriginal]>
  readonly signal?: AbortSignal
}

/**
 * Asks `server` about the own originals `entries` not yet confirmed, files
 * grouped into questions of about {@link CIDS_PER_QUESTION} CIDs, and records
 * a confirmation for each file all of whose blocks it holds (one metadata
 * write per question); returns the entries confirmed, as recorded. A question
 * that fails ends the pass with its error; what was confirmed before stays.
 */
export async function confirmOwn (options: ConfirmOptions): Promise<Map<string, HeldOriginal>> {
  const { meta, server } = options
  // Each file's manifest is read as its question is made, so a server out of reach costs the manifests of one
  // question, not of every file waiting.
  const waiting = options.entries.filter(([, held]) => held.own && held.confirmed === undefined)
  const confirmed = new Map<string, HeldOriginal>()
  let next = 0
  while (next < waiting.length) {
    options.signal?.throwIfAborted()
    const group: Array<{ root: string, held: HeldOriginal, cids: CID[] }> = []
    let size = 0
    while (next < waiting.length && size < CIDS_PER_QUESTION) {
      const [root, held] = waiting[next++]!
      const cids = await fileBlocks(CID.parse(root), options.getLocal)
      if (cids === undefined) { log('the own original %s has no manifest here; not asking about it', root); continue }
      group.push({ root, held, cids })
      size += cids.length
    }
    if (group.length === 0) break
    const answer = await server.held(group.flatMap((f) => f.cids), { ...(options.signal === undefined ? {} : { signal: options.signal }) })
    const at = Date.now()
    let offset = 0
    const writes: BatchOperation[] = []
    for (const file of group) {
      const all = answer.slice(offset, offset + file.cids.length).every(Boolean)
      offset += file.cids.length
      if (!all) continue
      const now: HeldOriginal = { ...file.held, confirmed: { by: server.name, at } }
      writes.push(...heldWrites(file.root, now))
      confirmed.set(file.root, now)
    }
    if (writes.length > 0) await meta.batch(writes)
  }
  return confirmed
}
