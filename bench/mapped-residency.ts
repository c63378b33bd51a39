/**
 * How much of a memory-mapped file is resident in a process: the pages of it
 * that the process has touched and the kernel still maps for it. LMDB
 * reads through a map of its whole file, and every page a write or a read
 * visits stays mapped (and counted in the process's RSS) until the kernel is
 * short of memory, so a long-running process ends up with its whole database
 * in its RSS, though those pages are clean and the page cache, not the
 * process, holds them. Read from /proc/self/smaps (Linux); elsewhere unknown.
 */
import { readFile } from 'node:fs/promises'

/** A process's (this one's by default) resident bytes of mappings of `path`, or undefined where /proc cannot tell. */
export async function residentBytesOf (path: string, pid: number | 'self' = 'self'): Promise<number | undefined> {
  let smaps: string
  try {
    smaps = await readFile(`/proc/${pid}/smaps`, 'utf8')
  } catch (error) {
    // No /proc (not Linux, or hidden): residency is unknown, which callers treat as nothing to do.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EACCES') return undefined
    throw error
  }
  let kib = 0
  let inPath = false
  for (const line of smaps.split('\n')) {
    // A mapping's header: "start-end perms offset dev inode path"; its fields follow, one a line.
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inPath = line.endsWith(` ${path}`)
    else if (inPath && line.startsWith('Rss:')) kib += Number(/(\d+)/.exec(line)?.[1] ?? 0)
  }
  return kib * 1024
}
