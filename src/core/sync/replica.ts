/**
 * What sync needs from a peer's storage: heads, records after a position, and
 * a way to take in received records. A follower's replica stores records
 * verified with follow keys alone; a member's passes them through its
 * database so views follow.
 */
import type { BatchOutcome, RecordStore } from '../log/record-store.ts'
import { MissingKeyError } from '../errors.ts'
import type { KeyBook } from '../storage/key-book.ts'
import { getValue, listValues, putValue } from '../storage/meta-values.ts'
import type { KeyValueStore } from '../storage/interfaces.ts'
import type { FollowGrant, SkippedItem, WireAnnouncement, WireHead, WireRecord } from './messages.ts'

/** What learning from announcements did: how many logs were added, and the announcements that could not be used, with why. */
export interface Learnt {
  readonly added: number
  readonly skipped: readonly SkippedItem[]
}

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
  /** Keeps a (signature-checked) join announcement to hand to members. */
  announce(thread: string, announcement: WireAnnouncement): Promise<void>
  announcements(thread: string): Promise<WireAnnouncement[]>
  /**
   * Opens announcements it can read and adds the logs they announce (members
   * only). One that fails (bad seal, wrong key, another log's keys) is skipped
   * and reported, and the others are still learnt.
   */
  learn?(thread: string, announcements: readonly WireAnnouncement[]): Promise<Learnt>
}

/** A replica over a record store and key book; `ingest` defaults to storing with follow keys only. */
export function createStoreReplica (deps: {
  readonly records: RecordStore
  readonly keys: KeyBook
  readonly ingest?: (thread: string, records: readonly WireRecord[]) => Promise<BatchOutcome[]>
  readonly follow?: (thread: string, grants: readonly FollowGrant[]) => Promise<void>
  /** Opens and adds announced logs, all or nothing; returns how many were new. Called here one announcement at a time. */
  readonly learn?: (thread: string, announcements: readonly WireAnnouncement[]) => Promise<number>
  /** Where announcements are kept. */
  readonly meta: KeyValueStore
}): SyncReplica {
  const { records, keys, meta } = deps
  const announceKey = (thread: string, log: string): string => `announce/${thread}/${log}`
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
      const run = await Promise.all(seqs.map(async (seq) => {
        const record = await records.recordAt(thread, log, seq)
        if (record === undefined) throw new MissingKeyError(`record ${seq} of log ${log} is not held`)
        return { log, record, blocks: await records.recordBlocks(record, followKey, { thread }) }
      }))
      // A receiver checks the signature of the newest record of each run it gets (PROTOCOL.md,
      // "Verifying a batch"), so a run ends at a record whose own signature holds. Only a writer
      // that signed after a record with a bad signature makes this cut anything.
      let end = run.length
      while (end > 0 && !await records.ownSignatureHolds(run[end - 1]!.record, followKey)) end--
      return run.slice(0, end)
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
    follow: deps.follow,
    learn: deps.learn === undefined ? undefined : learnEach(deps.learn),
    async announce (thread, announcement) {
      if (await getValue(meta, announceKey(thread, announcement.log)) === undefined) await meta.batch([putValue(announceKey(thread, announcement.log), announcement)])
    },
    async announcements (thread) {
      const out: WireAnnouncement[] = []
      for await (const [, a] of listValues<WireAnnouncement>(meta, `announce/${thread}/`)) out.push(a)
      return out
    }
  }
}

/**
 * `learn` one announcement at a time, so that one unusable announcement (a
 * stranger's, sealed with nothing a member holds) is skipped and reported
 * instead of stopping the others. An announcement sealed with a log that
 * another one in the list announces opens once that one is learnt: the list
 * is gone through again while that adds logs.
 */
function learnEach (learn: (thread: string, announcements: readonly WireAnnouncement[]) => Promise<number>): (thread: string, announcements: readonly WireAnnouncement[]) => Promise<Learnt> {
  return async (thread, announcements) => {
    const skipped: SkippedItem[] = []
    let added = 0
    let waiting = [...announcements]
    for (let progress = true; progress && waiting.length > 0;) {
      progress = false
      const again: WireAnnouncement[] = []
      for (const a of waiting) {
        try {
          if (await learn(thread, [a]) > 0) { added++; progress = true } else again.push(a)
        } catch (error) {
          skipped.push({ kind: 'announcement', log: a.log, via: a.via, name: (error as Error).name, message: (error as Error).message })
        }
      }
      waiting = again
    }
    return { added, skipped }
  }
}
