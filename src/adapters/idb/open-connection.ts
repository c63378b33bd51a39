/**
 * Opens the IndexedDB connection behind a backend, making sure every object store it
 * needs exists.
 *
 * Guarantees:
 * - the returned connection has every store in `storeNames` (out-of-line keys, no
 *   indexes); a store that is missing, for example one added to `extraStores` in a
 *   later release, is created by an upgrade to the next version, existing data kept;
 * - the connection closes itself when another one needs to upgrade the database (a
 *   newer release in another tab or worker) instead of blocking it, and reports that,
 *   like a close by the browser, through `onClosed`.
 */
import { openDB, type IDBPDatabase } from 'idb'
import { ThreadsError } from '../../core/errors.ts'

/** The database could not be opened with every store it needs (other connections kept upgrading it). */
export class IdbOpenError extends ThreadsError {
  static override readonly errorName = 'IdbOpenError'
}

/** Options of openIdbConnection. */
export interface IdbConnectionOptions {
  readonly name: string
  readonly storeNames: readonly string[]
  /** Called once if the connection is closed by anything but the caller. */
  readonly onClosed: (reason: string) => void
}

const ATTEMPTS = 3

/** Opens `name`, upgrading it if a store is missing (see the module comment). */
export async function openIdbConnection (options: IdbConnectionOptions): Promise<IDBPDatabase> {
  // undefined opens the current version (creating version 1 if the database is new).
  let version: number | undefined
  let lastError: unknown
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let database: IDBPDatabase
    try {
      database = await openDB(name(options), version, {
        upgrade (db) {
          for (const store of options.storeNames) {
            if (!db.objectStoreNames.contains(store)) db.createObjectStore(store)
          }
        },
        blocking () {
          database.close()
          options.onClosed('another connection is upgrading the database')
        },
        terminated () { options.onClosed('the browser closed the database') }
      })
    } catch (error) {
      // Another connection upgraded past the version we asked for: start over from the current one.
      if ((error as { name?: unknown } | null)?.name !== 'VersionError') throw error
      lastError = error
      version = undefined
      continue
    }
    if (options.storeNames.every(store => database.objectStoreNames.contains(store))) return database
    version = database.version + 1
    database.close()
  }
  throw new IdbOpenError(`Could not open IndexedDB database ${JSON.stringify(options.name)} with stores ${options.storeNames.join(', ')}`, { cause: lastError })
}

function name (options: IdbConnectionOptions): string {
  if (options.name === '') throw new TypeError('An IndexedDB database needs a non-empty name')
  return options.name
}
