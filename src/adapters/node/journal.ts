/**
 * All-or-nothing groups of file changes, made crash-safe by a journal.
 *
 * A group of changes (write these files, remove those) is committed by writing all
 * of it, bytes included, to `<root>/journal` (temp file + rename: the commit point),
 * then applying it, then removing the journal. Guarantees:
 * - before the commit point a failure or abort leaves every file untouched;
 * - after it the group is complete once `commitChanges` resolves, and if the process
 *   dies half-way, `replayJournal` (run on open) applies the whole group again.
 *   Replaying is safe because the group is reduced to one change per path, each an
 *   overwrite or a removal, so applying it twice gives the same files as once;
 * - a group of one change skips the journal: a single rename is already atomic.
 * One writer at a time per root: callers serialize commits (see file-backend.ts).
 */
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { MalformedRecordError, throwIfAborted } from '../../core/errors.ts'
import { readFileIfExists, removeFile, writeFileAtomic } from './atomic-files.ts'

/** Write `bytes` to `path`, or remove `path` when bytes is null. Paths are relative, '/'-separated. */
export interface FileChange {
  readonly path: string
  readonly bytes: Uint8Array | null
}

/** Name of the journal file under the root. */
export const JOURNAL_FILE = 'journal'
const JOURNAL_VERSION = 1

interface CommitOptions {
  readonly durable: boolean
  readonly signal?: AbortSignal
  /** Called at the commit point with the final change per path, before any is applied. */
  readonly onCommit?: (changes: ReadonlyMap<string, Uint8Array | null>) => void
}

/** Keeps the last change per path: the state a sequential application ends in. */
export function reduceChanges (changes: readonly FileChange[]): Map<string, Uint8Array | null> {
  const reduced = new Map<string, Uint8Array | null>()
  for (const change of changes) {
    reduced.delete(change.path) // re-insert so the order follows the last change
    reduced.set(change.path, change.bytes)
  }
  return reduced
}

/** Encodes a group of changes as the journal's bytes (dag-cbor, versioned). */
export function encodeJournal (changes: ReadonlyMap<string, Uint8Array | null>): Uint8Array {
  return dagCbor.encode({ v: JOURNAL_VERSION, changes: [...changes].map(([path, bytes]) => ({ path, bytes })) })
}

/** Decodes journal bytes. @throws MalformedRecordError if they are not a journal. */
export function decodeJournal (bytes: Uint8Array): Map<string, Uint8Array | null> {
  let decoded: unknown
  try {
    decoded = dagCbor.decode(bytes)
  } catch (cause) {
    throw new MalformedRecordError('The storage journal does not decode', { cause })
  }
  const journal = decoded as { v?: unknown, changes?: unknown } | null
  if (journal?.v !== JOURNAL_VERSION || !Array.isArray(journal.changes)) {
    throw new MalformedRecordError('The storage journal has an unknown shape or version')
  }
  const changes = new Map<string, Uint8Array | null>()
  for (const change of journal.changes as Array<{ path?: unknown, bytes?: unknown }>) {
    const { path, bytes } = change ?? {}
    if (typeof path !== 'string' || !isSafeRelativePath(path) || !(bytes === null || bytes instanceof Uint8Array)) {
      throw new MalformedRecordError('The storage journal holds a malformed change')
    }
    changes.set(path, bytes)
  }
  return changes
}

/**
 * Applies a group of changes under `root` all-or-nothing (see the module comment).
 * @throws AbortError if the signal fires before the commit point; nothing is changed then.
 */
export async function commitChanges (root: string, changes: readonly FileChange[], options: CommitOptions): Promise<void> {
  throwIfAborted(options.signal)
  const reduced = reduceChanges(changes)
  const beforeCommit = (): void => { throwIfAborted(options.signal) }
  if (reduced.size === 0) return
  if (reduced.size === 1) {
    const [path, bytes] = [...reduced][0]!
    if (bytes === null) {
      beforeCommit()
      await removeFile(fullPath(root, path), options.durable)
    } else {
      await writeFileAtomic(fullPath(root, path), bytes, { durable: options.durable, beforeCommit })
    }
    return
  }
  const journal = join(root, JOURNAL_FILE)
  await writeFileAtomic(journal, encodeJournal(reduced), { durable: options.durable, beforeCommit })
  options.onCommit?.(reduced)
  await applyChanges(root, reduced, options.durable)
  // Durable removal matters: a journal resurrected by power loss would replay old values over newer ones.
  await removeFile(journal, options.durable)
}

/**
 * Completes a group whose commit was interrupted: if a journal is present under
 * `root`, applies it and removes it. Returns whether there was one.
 */
export async function replayJournal (root: string, durable: boolean): Promise<boolean> {
  const journal = join(root, JOURNAL_FILE)
  const bytes = await readFileIfExists(journal)
  if (bytes === undefined) return false
  await applyChanges(root, decodeJournal(bytes), durable)
  await removeFile(journal, durable)
  return true
}

/** Files written at once while applying a group: the journal already holds them durably. */
const APPLY_CONCURRENCY = 32

async function applyChanges (root: string, changes: ReadonlyMap<string, Uint8Array | null>, durable: boolean): Promise<void> {
  // Each path appears once (the group is reduced), so the order of applying does not matter.
  const pending = [...changes]
  const lanes = Array.from({ length: Math.min(APPLY_CONCURRENCY, pending.length) }, async () => {
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      const [path, bytes] = next
      if (bytes === null) await removeFile(fullPath(root, path), durable)
      else await writeFileAtomic(fullPath(root, path), bytes, { durable })
    }
  })
  await Promise.all(lanes)
}

function fullPath (root: string, path: string): string {
  return join(root, ...path.split('/'))
}

function isSafeRelativePath (path: string): boolean {
  const parts = path.split('/')
  return parts.length > 1 && parts.every(part => part !== '' && part !== '.' && part !== '..' && !part.includes('\\'))
}
