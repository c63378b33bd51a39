/**
 * What sync needs from a peer's storage: heads, records after a position, and
 * a way to take in received records. A follower's replica stores records
 * verified with follow keys alone; a member's passes them through its
 * database so views follow.
 */
import type { BatchOutcome, RecordStore } from '../log/record-store.ts'
import { MissingKeyError } from '../errors.ts'
import type { KeyBook } from '../storage/key-book.ts'
import type { FollowGrant, WireHead, WireRecord } from './messages.ts'

/** A peer's storage as sync sees it. */
export interface SyncReplica {
  hasThread(thread: string): Promise<boolean>
  /** Logs of the thread this peer holds keys for (and so can verify). */
  knownLogs(thread: string): Promise<string[]>
  heads(thread: string): Promise<WireHead[]>
  /** Up to `limit` records of a log after sequence number `after`, oldest first. */
  recordsAfter(thread: string, log: string, after: number, limit: number): Promise<WireRecord[]>
  /** Verifies and stores received records; answers each with its result or typed error. */
  ingest(thread: string, records: readonly WireRecord[]): Promise<BatchOutcome[]>
  /** Starts following logs (followers only). */
  follow?(thread: string, grants: readonly FollowGrant[]): Promise<void>
}

/** A replica over a record store and key book; `ingest` defaults to storing with follow keys only. */
export function createStoreReplica (deps: {
  readonly records: RecordStore
  readonly keys: KeyBook
  readonly ingest?: (thread: string, records: readonly WireRecord[]) => Promise<BatchOutcome[]>
  readonly follow?: (thread: string, grants: readonly FollowGrant[]) => Promise<void>
}): SyncReplica {
  const { records, keys } = deps
  return {
    hasThread: async (thread) => (await keys.logs(thread)).length > 0,
    knownLogs: async (thread) => (await keys.logs(thread)).map((l) => l.log),
    heads: async (thread) => (await records.heads(thread)).map((h) => ({ log: h.log, seq: h.seq, record: h.record })),
    async recordsAfter (thread, log, after, limit) {
      const followKey = await keys.followKey(thread, log)
      const head = await records.head(thread, log)
      if (head === undefined) return []
      const seqs = Array.from({ length: Math.max(0, Math.min(limit, head.seq - after)) }, (_, i) => after + 1 + i)
      // Read in parallel; each record's blocks are checked against their CIDs on the way out.
      return await Promise.all(seqs.map(async (seq) => {
        const record = await records.recordAt(thread, log, seq)
        if (record === undefined) throw new MissingKeyError(`record ${seq} of log ${log} is not held`)
        return { log, record, blocks: await records.recordBlocks(record, followKey, { thread }) }
      }))
    },
    ingest: deps.ingest ?? (async (thread, received) => {
      const inputs = []
      const refused = new Map<number, Error>()
      for (const [i, r] of received.entries()) {
        const held = await keys.get(thread, r.log)
        if (held === undefined) refused.set(i, new MissingKeyError(`no follow key is held for log ${r.log} of thread ${thread}`))
        else inputs.push({ ...r, followKey: held.followKey })
      }
      const outcomes = await records.ingestMany(thread, inputs)
      return received.map((_, i) => refused.get(i) ?? outcomes.shift()!)
    }),
    follow: deps.follow
  }
}
