/**
 * A StorageBackend in a directory of plain files, for the Node follower.
 *
 * Layout under `directory`: blocks/<cid> (one file per block), meta/<base32 of key>
 * (one file per key, see file-names.ts) and, only while a multi-file write is in
 * progress, `journal` (see journal.ts). Guarantees, beyond those of interfaces.ts:
 * - everything resolved is on disk when the call resolves, and with `durable`
 *   (the default) it also survives power loss;
 * - `batch` and `putMany` are all-or-nothing across crashes: opening the directory
 *   again finishes a group that had reached its journal and discards one that had not;
 * - a group is visible to `get`/`has` as a whole from its commit point on, never
 *   half-applied; `list` reads a consistent snapshot, taken between writes;
 * - values are fresh, plain Uint8Arrays.
 * One process per directory: two backends over the same directory would interleave
 * their journals. Writes are serialized inside a backend.
 */
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { StoreClosedError, throwIfAborted } from '../../core/errors.ts'
import { createLogger } from '../../core/logger.ts'
import type { BlockStore, KeyValueStore, StorageBackend, StoreCallOptions } from '../../core/storage/interfaces.ts'
import { copyBatchOperations, copyBlocks, copyBytes, copyCids } from '../../core/storage/memory.ts'
import { fileExists, readFileIfExists, TEMP_MARKER } from './atomic-files.ts'
import { BLOCKS_DIR, cidToPath, componentsToKey, isKeyDirectory, keyPrefixToNamePrefix, keyToPath, META_DIR } from './file-names.ts'
import { commitChanges, type FileChange, replayJournal } from './journal.ts'

const log = createLogger('storage:files')

/** Options of openFileBackend. */
export interface FileBackendOptions {
  /** Directory holding the data; created if missing. */
  readonly directory: string
  /** fsync files and directories so writes survive power loss, not only crashes. Default true. */
  readonly durable?: boolean
  readonly signal?: AbortSignal
}

/**
 * Opens (creating if needed) a file backend in `directory`, first finishing or
 * discarding whatever a crash interrupted there.
 * @example
 * const backend = await openFileBackend({ directory: '/var/lib/threads' })
 */
export async function openFileBackend (options: FileBackendOptions): Promise<StorageBackend> {
  const root = options.directory
  const durable = options.durable ?? true
  throwIfAborted(options.signal)
  await mkdir(join(root, BLOCKS_DIR), { recursive: true })
  await mkdir(join(root, META_DIR), { recursive: true })
  await removeTempFiles(root)
  await replayJournal(root, durable)

  let state: 'open' | 'closed' = 'open'
  let writes: Promise<unknown> = Promise.resolve()
  // The group being applied, from its commit point until it is fully on disk.
  let committed: ReadonlyMap<string, Uint8Array | null> = new Map()

  const check = (options?: StoreCallOptions): void => {
    if (state === 'closed') throw new StoreClosedError(`The file backend at ${root} is closed`)
    throwIfAborted(options?.signal)
  }
  /** Runs `task` after every earlier write; later writes wait for it in turn. */
  const exclusive = async <T>(task: () => Promise<T>): Promise<T> => {
    const run = writes.then(task)
    // The caller of `task` hears its failure; the queue only needs to go on.
    writes = run.catch((error: unknown) => { log('a queued write failed (its caller was told): %s', (error as Error)?.name) })
    return await run
  }
  const write = async (changes: FileChange[], signal: AbortSignal | undefined): Promise<void> => {
    await exclusive(async () => {
      try {
        await commitChanges(root, changes, { durable, signal, onCommit: group => { committed = group } })
      } finally {
        committed = new Map()
      }
    })
  }
  const read = async (path: string): Promise<Uint8Array | undefined> => {
    const pending = committed.get(path)
    if (pending !== undefined) return pending === null ? undefined : copyBytes(pending)
    return await readFileIfExists(join(root, ...path.split('/')))
  }
  const exists = async (path: string): Promise<boolean> => {
    const pending = committed.get(path)
    if (pending !== undefined) return pending !== null
    return await fileExists(join(root, ...path.split('/')))
  }

  const blocks: BlockStore = {
    async get (cid, options) { check(options); return await read(cidToPath(cid)) },
    async has (cid, options) { check(options); return await exists(cidToPath(cid)) },
    async putMany (input, options) {
      check(options)
      const changes = copyBlocks(input).map(block => ({ path: cidToPath(block.cid), bytes: block.bytes }))
      await write(changes, options?.signal)
    },
    async deleteMany (cids, options) {
      check(options)
      await write(copyCids(cids).map(cid => ({ path: cidToPath(cid), bytes: null })), options?.signal)
    }
  }

  const meta: KeyValueStore = {
    async get (key, options) { check(options); return await read(keyToPath(key)) },
    async has (key, options) { check(options); return await exists(keyToPath(key)) },
    async batch (operations, options) {
      check(options)
      const changes = copyBatchOperations(operations)
        .map(op => ({ path: keyToPath(op.key), bytes: op.type === 'put' ? op.value : null }))
      await write(changes, options?.signal)
    },
    async * list (prefix, options) {
      check(options)
      // Read under the write lock, so no group is half-applied while we read.
      const entries = await exclusive(async () => await readEntries(root, prefix, options?.signal))
      for (const entry of entries) {
        check(options)
        yield entry
      }
    }
  }

  return {
    blocks,
    meta,
    // Blocks and meta operations as one group: one journal, applied all-or-nothing.
    async commit (input, operations, options) {
      check(options)
      const changes = [
        ...copyBlocks(input).map(block => ({ path: cidToPath(block.cid), bytes: block.bytes })),
        ...copyBatchOperations(operations).map(op => ({ path: keyToPath(op.key), bytes: op.type === 'put' ? op.value : null }))
      ]
      await write(changes, options?.signal)
    },
    async close () {
      state = 'closed'
      await writes // let accepted writes finish
    }
  }
}

/**
 * Every key under `prefix` with its value, in code-unit order. Only names that
 * can stand for such a key are decoded, and only directories that can hold one
 * are entered, so a short listing costs one directory read, not a stat and a
 * decode per key held.
 */
async function readEntries (root: string, prefix: string, signal?: AbortSignal): Promise<Array<readonly [string, Uint8Array]>> {
  const wanted = keyPrefixToNamePrefix(prefix)
  const keys: string[] = []
  const walk = async (components: string[], name: string): Promise<void> => {
    for (const entry of await readdir(join(root, META_DIR, ...components), { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!isKeyDirectory(entry.name)) continue
        const longer = name + entry.name.slice(0, -1)
        if (longer.startsWith(wanted) || wanted.startsWith(longer)) await walk([...components, entry.name], longer)
        continue
      }
      if (!entry.isFile() || !(name + entry.name).startsWith(wanted)) continue
      const key = componentsToKey([...components, entry.name])
      if (key?.startsWith(prefix) === true) keys.push(key)
    }
  }
  await walk([], '')
  keys.sort() // default sort compares UTF-16 code units, the order the interface promises
  const entries: Array<readonly [string, Uint8Array]> = []
  for (const key of keys) {
    throwIfAborted(signal)
    const value = await readFileIfExists(join(root, ...keyToPath(key).split('/')))
    if (value !== undefined) entries.push([key, value] as const)
  }
  return entries
}

/** Removes temp files left by a crash: they were never renamed, so they hold nothing committed. */
async function removeTempFiles (root: string): Promise<void> {
  const names = await readdir(root, { recursive: true })
  await Promise.all(names
    .filter(name => name.includes(TEMP_MARKER))
    .map(async name => { await rm(join(root, name), { force: true }) }))
}
