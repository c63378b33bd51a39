/** Every byte of every file under a directory, to check what a process wrote to disk (and what it did not). */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The contents of every file under `dir`, concatenated. */
export async function allBytes (dir: string): Promise<Buffer> {
  const parts: Buffer[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) parts.push(await readFile(join(entry.parentPath, entry.name)))
  }
  return Buffer.concat(parts)
}
