/**
 * The SQLite backend's writer thread (started by sqlite-writer.ts): it holds
 * the database's only writing connection and applies each packed write as one
 * transaction, checkpointing the write-ahead log as its commits pass the
 * configured size, so neither the B-tree work of a commit nor a checkpoint's
 * copying and syncing runs on the process's event loop.
 *
 * Protocol (over parentPort): `{ ready: true }` once the connection is open and its
 * statements prepared (an error opening it ends the thread); `{ id, write }` → `{ id }` once committed, or
 * `{ id, error: { name, message, code } }` once rolled back; `{ close: true }` →
 * `{ closed: true }` once the connection is closed. Writes are taken in the
 * order they were sent.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { parentPort, workerData } from 'node:worker_threads'
import { DELETE_BLOCK, DELETE_META, PUT_BLOCK, PUT_META, unpackWrite, type PackedWrite, type WriteKind } from './sqlite-write-batch.ts'

/** What the thread is started with (workerData). */
export interface WriterThreadOptions {
  readonly path: string
  readonly cacheKib: number
  readonly checkpointPages: number
}

/** A message to the thread. */
export type WriterRequest = { readonly id: number, readonly write: PackedWrite } | { readonly close: true }
/** A message from the thread. */
export type WriterReply = { readonly id: number, readonly error?: { readonly name: string, readonly message: string, readonly code?: string } } | { readonly ready: true } | { readonly closed: true }

const port = parentPort
if (port === null) throw new Error('sqlite-writer-thread runs as a worker thread')
const options = workerData as WriterThreadOptions

const db = new DatabaseSync(options.path)
// The database is in WAL mode already (the opening connection set it, and it persists in the file).
db.exec(`pragma synchronous = normal; pragma mmap_size = 0; pragma cache_size = -${options.cacheKib};
  pragma wal_autocheckpoint = ${options.checkpointPages};`)
const statements: Record<WriteKind, StatementSync> = {
  [PUT_BLOCK]: db.prepare('insert or ignore into blocks (cid, bytes) values (?, ?)'),
  [PUT_META]: db.prepare('insert or replace into meta (k, v) values (?, ?)'),
  [DELETE_META]: db.prepare('delete from meta where k = ?'),
  [DELETE_BLOCK]: db.prepare('delete from blocks where cid = ?')
}
port.postMessage({ ready: true } satisfies WriterReply)

/** Applies one packed write as one transaction: all of it or, when it throws, none of it. */
function apply (write: PackedWrite): void {
  db.exec('begin immediate')
  try {
    for (const entry of unpackWrite(write)) {
      if (entry.value === undefined) statements[entry.kind].run(entry.key)
      else statements[entry.kind].run(entry.key, entry.value)
    }
    db.exec('commit')
  } catch (error) {
    if (db.isTransaction) db.exec('rollback')
    throw error
  }
}

port.on('message', (request: WriterRequest) => {
  if ('close' in request) {
    db.close()
    port.postMessage({ closed: true } satisfies WriterReply)
    port.close()
    return
  }
  try {
    apply(request.write)
    port.postMessage({ id: request.id } satisfies WriterReply)
  } catch (caught) {
    const error = caught as Error & { code?: unknown }
    port.postMessage({ id: request.id, error: { name: error.name, message: error.message, code: typeof error.code === 'string' ? error.code : undefined } } satisfies WriterReply)
  }
})
