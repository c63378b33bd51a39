/**
 * The index of a thread's held ACL records (record ID → log, seq), read by
 * admission before every batch. Read from storage each time, it costs a range
 * read of every ACL record of the thread per batch: a follower of a thread of
 * 2,000 members reads 2,000 rows for each push. A record store that is the
 * only writer of its storage (the follower's) keeps each thread's index in
 * memory once read, and adds to it what it commits; an index read while a
 * commit of that thread was under way is not kept, so the memory never lags
 * storage. Indexes of at most MAX_CACHED_THREADS threads are kept.
 */
import type { KeyValueStore, StoreCallOptions } from '../storage/interfaces.ts'
import { listValues } from '../storage/meta-values.ts'

/** One held ACL record. */
export interface AclRow {
  readonly record: string
  readonly log: string
  readonly seq: number
}

/** Threads whose index is kept in memory at once (the least recently read go first). */
const MAX_CACHED_THREADS = 256

/** The ACL index of a record store. */
export interface AclIndex {
  /** Every held ACL record of `thread`, in record ID order (a fresh array). */
  list(thread: string, options?: StoreCallOptions): Promise<AclRow[]>
  /** Called once a commit that writes `rows` of `thread` is applied (visible to reads). */
  written(thread: string, rows: readonly AclRow[]): void
  /**
   * A number that changes whenever ACL records of `thread` are written: while
   * it is unchanged, `list` answers the same rows. Undefined where the index
   * is not kept in memory (another writer may add rows unseen).
   */
  version(thread: string): number | undefined
}

/** The index over `meta`; `inMemory` only where the record store is the sole writer of `meta`. */
export function createAclIndex ({ meta, inMemory }: { readonly meta: KeyValueStore, readonly inMemory: boolean }): AclIndex {
  const cached = new Map<string, AclRow[]>()
  /** Commits applied per thread, so a read that overlapped one is not kept. */
  const writes = new Map<string, number>()

  const read = async (thread: string, options?: StoreCallOptions): Promise<AclRow[]> => {
    const out: AclRow[] = []
    const prefix = `acl/${thread}/`
    for await (const [key, at] of listValues<{ log: string, seq: number }>(meta, prefix, options)) out.push({ record: key.slice(prefix.length), log: at.log, seq: at.seq })
    return out
  }

  return {
    async list (thread, options) {
      if (!inMemory) return await read(thread, options)
      const known = cached.get(thread)
      if (known !== undefined) {
        cached.delete(thread)
        cached.set(thread, known)
        return [...known]
      }
      const before = writes.get(thread) ?? 0
      const rows = await read(thread, options)
      if ((writes.get(thread) ?? 0) === before) {
        if (cached.size >= MAX_CACHED_THREADS) cached.delete(cached.keys().next().value!)
        cached.set(thread, rows)
      }
      return [...rows]
    },
    version: (thread) => inMemory ? writes.get(thread) ?? 0 : undefined,
    written (thread, rows) {
      if (!inMemory || rows.length === 0) return
      writes.set(thread, (writes.get(thread) ?? 0) + 1)
      const known = cached.get(thread)
      if (known === undefined) return
      for (const row of rows) {
        // Kept in record ID order; a row written again (the same record) stays once.
        let low = 0
        let high = known.length
        while (low < high) {
          const mid = (low + high) >> 1
          if (known[mid]!.record < row.record) low = mid + 1
          else high = mid
        }
        if (known[low]?.record === row.record) known[low] = row
        else known.splice(low, 0, row)
      }
    }
  }
}
