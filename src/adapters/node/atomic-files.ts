/**
 * File primitives the file backend is built from.
 *
 * Guarantees:
 * - `writeFileAtomic` replaces a file by writing a temp file beside it and renaming
 *   it over the target, so a reader (or a restart) sees the old bytes or the new
 *   ones, never a prefix; with `durable` it fsyncs the file and then its directory,
 *   so the rename also survives power loss;
 * - a hook runs after the bytes are written and before the rename (the commit
 *   point), and if it throws the temp file is removed and the target is untouched;
 * - bytes read back are plain Uint8Arrays that own their buffer (not Node Buffers).
 */
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { randomUUID } from 'node:crypto'

/** Marks temp files; names this backend gives its own files never contain a '.'. */
export const TEMP_MARKER = '.tmp-'

/** Options of writeFileAtomic. */
export interface AtomicWriteOptions {
  /** fsync the file and its directory before returning. */
  readonly durable: boolean
  /** Runs just before the rename; throwing cancels the write (used for abort). */
  readonly beforeCommit?: () => void
  /** Permissions of a file this write creates (0o600 for a secret); 0o666 less the umask unless given. */
  readonly mode?: number
}

/** Writes `bytes` to `path` all at once or not at all (see the module comment). */
export async function writeFileAtomic (path: string, bytes: Uint8Array, options: AtomicWriteOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temp = `${path}${TEMP_MARKER}${randomUUID()}`
  try {
    const handle = await open(temp, 'w', options.mode)
    try {
      await handle.writeFile(bytes)
      if (options.durable) await handle.sync()
    } finally {
      await handle.close()
    }
    options.beforeCommit?.()
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  if (options.durable) await syncDirectory(dirname(path))
}

/** Removes a file if it exists; with `durable`, makes the removal survive power loss. */
export async function removeFile (path: string, durable: boolean): Promise<void> {
  await rm(path, { force: true })
  if (durable) await syncDirectory(dirname(path))
}

/** The bytes of a file, or undefined if there is none. */
export async function readFileIfExists (path: string): Promise<Uint8Array | undefined> {
  try {
    const buffer = await readFile(path)
    // A Buffer that owns its whole allocation is re-viewed; a pooled slice is copied.
    return buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength
      ? new Uint8Array(buffer.buffer, 0, buffer.byteLength)
      : new Uint8Array(buffer)
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

/** Whether a file exists. */
export async function fileExists (path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch (error) {
    if (isNotFound(error)) return false
    throw error
  }
}

/** True for the error fs raises when a path does not exist. */
export function isNotFound (error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT'
}

async function syncDirectory (path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
