/**
 * Group commit over a SQLite database in WAL mode, shared by the record store
 * (sqlite-backend.ts) and the media blockstore (sqlite-blockstore.ts): many
 * commits, one fsync.
 */
import { open as openFile, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'

/** What walSyncer returns: call `afterCommit` once a transaction is committed. */
export interface WalSyncer {
  /** Resolves once an fsync of the write-ahead log that began after the caller's commit has finished. */
  afterCommit: () => Promise<void>
  /** Waits for syncs under way and closes the log file. */
  close: () => Promise<void>
}

/**
 * Group commit over SQLite's write-ahead log: `afterCommit` (called once a
 * transaction is committed) resolves once an fsync of the log that began after
 * that commit has finished (`path` is the database file's). One fsync runs at
 * a time; commits made while it runs share the next. The log file is the same while the database is open (SQLite
 * rewrites it from the start after a checkpoint, having synced what it copied).
 */
export function walSyncer (path: string): WalSyncer {
  let file: Promise<FileHandle> | undefined
  let running: Promise<void> | undefined
  let next: Promise<void> | undefined
  const run = async (): Promise<void> => {
    file ??= (async () => {
      const handle = await openFile(`${path}-wal`, 'r')
      // The log's directory entry is made durable once, with the first sync.
      const directory = await openFile(join(path, '..'), 'r')
      try { await directory.sync() } finally { await directory.close() }
      return handle
    })()
    await (await file).sync()
  }
  const afterCommit = (): Promise<void> => {
    if (running === undefined) {
      running = run().finally(() => { running = undefined })
      return running
    }
    // A sync is under way and may have begun before this commit: wait for the one after it.
    next ??= running.then(() => undefined, () => undefined).then(() => {
      next = undefined
      return afterCommit()
    })
    return next
  }
  return {
    afterCommit,
    async close () {
      await Promise.allSettled([running, next])
      if (file !== undefined) await (await file).close()
    }
  }
}
