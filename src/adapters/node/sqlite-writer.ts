/**
 * Starts the SQLite backend's writer thread (sqlite-writer-thread.ts) and
 * hands it packed writes. A commit's B-tree work and the checkpoints it
 * triggers then run beside the event loop, which under many concurrent pushes
 * was busy with them for about a seventh of its time (`npm run bench -- follower`).
 *
 * Guarantees:
 * - `write` resolves once its transaction is committed (readable by every
 *   connection to the database, and safe from kill -9), and rejects with the
 *   thread's error, naming it, once rolled back;
 * - writes commit in the order they were given;
 * - if the thread stops unexpectedly, every pending and later write rejects
 *   with StoreClosedError naming why;
 * - the thread keeps the process alive only while a write or a close is pending.
 */
import { Worker } from 'node:worker_threads'
import { StoreClosedError } from '../../core/errors.ts'
import type { PackedWrite } from './sqlite-write-batch.ts'
import type { WriterReply, WriterRequest, WriterThreadOptions } from './sqlite-writer-thread.ts'

/** Set by the follower's build (scripts/build-follower.ts) to the bundled writer thread; from sources the thread runs its TypeScript file. */
declare const __SQLITE_WRITER_THREAD__: string | undefined

/** Where the writer thread's code is: the bundled text as a data URL, or its source file beside this one. */
function writerThreadUrl (): URL {
  if (typeof __SQLITE_WRITER_THREAD__ === 'string') return new URL(`data:text/javascript,${encodeURIComponent(__SQLITE_WRITER_THREAD__)}`)
  return new URL('./sqlite-writer-thread.ts', import.meta.url)
}

/** What startSqliteWriter returns. */
export interface SqliteWriter {
  /** Commits `write` as one transaction. */
  write: (write: PackedWrite) => Promise<void>
  /** Lets the writes already given commit, then closes the thread's connection and ends the thread. */
  close: () => Promise<void>
}

/**
 * Starts a writer thread for the database at `options.path`, which must already exist in WAL mode with
 * its tables; resolves once the thread's connection is open.
 * @throws StoreClosedError naming why, when the thread could not open the database.
 */
export async function startSqliteWriter (options: WriterThreadOptions): Promise<SqliteWriter> {
  // The thread's heap holds a write or two on their way to SQLite: small limits keep its memory small.
  // node:sqlite's warning that it is experimental was printed once already, by the connection that made the tables.
  // The process's own flags are not passed on: a worker refuses V8's (the follower's heap sizes), which apply to the process.
  const worker = new Worker(writerThreadUrl(), {
    workerData: options,
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 4 },
    execArgv: ['--disable-warning=ExperimentalWarning']
  })
  let ready: { resolve: () => void, reject: (error: Error) => void } | undefined
  const started = new Promise<void>((resolve, reject) => { ready = { resolve, reject } })
  const pending = new Map<number, { resolve: () => void, reject: (error: Error) => void }>()
  let nextId = 0
  let stopped: Error | undefined
  let closing: Promise<void> | undefined
  let closed: (() => void) | undefined
  let closeAsked = false

  const holdOpen = (): void => { if (pending.size === 0 && !closeAsked) worker.unref(); else worker.ref() }

  const stop = (reason: Error): void => {
    stopped ??= reason
    ready?.reject(stopped)
    for (const { reject } of pending.values()) reject(stopped)
    pending.clear()
    closed?.()
  }
  worker.on('message', (reply: WriterReply) => {
    if ('ready' in reply) { ready?.resolve(); ready = undefined; return }
    if ('closed' in reply) { closed?.(); return }
    const waiting = pending.get(reply.id)
    if (waiting === undefined) return
    pending.delete(reply.id)
    holdOpen()
    if (reply.error === undefined) waiting.resolve()
    else waiting.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, code: reply.error.code }))
  })
  worker.on('error', (error) => { stop(new StoreClosedError(`The SQLite writer of ${options.path} stopped: ${error.message}`, { cause: error })) })
  worker.on('exit', (code) => { stop(new StoreClosedError(`The SQLite writer of ${options.path} ended (exit code ${code})`)) })

  // Held open until it is ready (a process doing nothing else still waits for it), then only while a write or close is pending.
  await started
  holdOpen()
  return {
    async write (write) {
      if (stopped !== undefined) throw stopped
      if (closing !== undefined) throw new StoreClosedError(`The SQLite writer of ${options.path} is closing`)
      const id = nextId++
      const done = new Promise<void>((resolve, reject) => { pending.set(id, { resolve, reject }) })
      holdOpen()
      worker.postMessage({ id, write } satisfies WriterRequest, [write.bytes.buffer, write.layout.buffer])
      await done
    },
    async close () {
      closing ??= (async () => {
        if (stopped === undefined) {
          const ended = new Promise<void>((resolve) => { closed = resolve })
          closeAsked = true
          holdOpen()
          worker.postMessage({ close: true } satisfies WriterRequest)
          await ended
        }
        await worker.terminate()
      })()
      await closing
    }
  }
}
