/**
 * What sync needs from a peer's storage: heads, records after a position, and
 * a way to take in received records. A follower's replica stores records
 * verified with follow keys alone; a member's passes them through its
 * database so views follow. A follower serves heads and records only to
 * members (role follow or above) that prove who they are (pull-proof.ts); a
 * member's replica signs that proof with its own log key when it asks.
 */
import { createAdmission, type Admission } from '../log/admission.ts'
import type { BatchOutcome, CommitHook, RecordStore } from '../log/record-store.ts'
import { MissingKeyError } from '../errors.ts'
import { atLeast } from '../acl/roles.ts'
import { logIdentityFromSeed } from '../ids/log-id.ts'
import type { KeyBook } from '../storage/key-book.ts'
import type { FollowRequest } from './follow-request.ts'
import type { WireHead, RecordEnvelope } from './messages.ts'
import { createPullProof, type PullProof } from './pull-proof.ts'
import type { SnapshotShelf } from './snapshot-shelf.ts'

/** A peer's storage as sync sees it. */
export interface SyncReplica {
  hasThread(thread: string): Promise<boolean>
  heads(thread: string): Promise<WireHead[]>
  /** Up to `limit` records of a log after sequence number `after`, oldest first. */
  recordsAfter(thread: string, log: string, after: number, limit: number): Promise<RecordEnvelope[]>
  /** Verifies and stores received records; answers each with its result or typed error. */
  ingest(thread: string, records: readonly RecordEnvelope[]): Promise<BatchOutcome[]>
  /** Starts following a thread on a member's signed request (followers only); a request it refuses throws a named error. */
  follow?(request: FollowRequest): Promise<void>
  /** Whether `log` may read the thread's heads and records from here (role follow or above); absent: anyone may. */
  mayPull?(thread: string, log: string): Promise<boolean>
  /** A pull proof signed by this peer's own log in the thread for `peer` (see pull-proof.ts); undefined when it has none. */
  pullProof?(thread: string, peer: string | number): Promise<PullProof | undefined>
  /** This peer's own log in the thread, if it is a member. */
  ownLog?(thread: string): Promise<string | undefined>
  /** Published snapshots kept for members (followers). */
  readonly snapshots?: SnapshotShelf
}

/**
 * A replica over a record store and key book; `ingest` defaults to storing
 * with follow keys only. It answers heads and pulls only to members with a
 * valid pull proof, whether it follows for others (`follow` given) or is a
 * member's own, serving other browsers over direct connections.
 */
export function createStoreReplica (deps: {
  readonly records: RecordStore
  readonly keys: KeyBook
  readonly ingest?: (thread: string, records: readonly RecordEnvelope[]) => Promise<BatchOutcome[]>
  readonly follow?: (request: FollowRequest) => Promise<void>
  readonly snapshots?: SnapshotShelf
  /** Runs for each admitted record of `thread` in its commit (the follower records the media a record attaches and releases); it must judge each record on its own, as records of concurrent ingests are committed together. */
  readonly hook?: (thread: string) => CommitHook
}): SyncReplica {
  const { records, keys } = deps
  const admissions = new Map<string, Admission>()
  const admissionOf = (thread: string): Admission => {
    let admission = admissions.get(thread)
    if (admission === undefined) {
      admission = createAdmission({ thread, records })
      admissions.set(thread, admission)
    }
    return admission
  }
  return {
    hasThread: async (thread) => await keys.holds(thread),
    heads: async (thread) => (await records.heads(thread)).map((h) => ({ log: h.log, seq: h.seq, record: h.record })),
    async recordsAfter (thread, log, after, limit) {
      const keyring = await keys.keyring(thread)
      const head = await records.head(thread, log)
      if (head === undefined) return []
      const seqs = Array.from({ length: Math.max(0, Math.min(limit, head.seq - after)) }, (_, i) => after + 1 + i)
      // Read in parallel; each record's blocks are checked against their CIDs on the way out.
      const run = await Promise.all(seqs.map(async (seq) => {
        const record = await records.recordAt(thread, log, seq)
        if (record === undefined) throw new MissingKeyError(`record ${seq} of log ${log} is not held`)
        return { log, record, blocks: await records.recordBlocks(record, keyring, { thread }) }
      }))
      // A receiver checks the signature of the newest record of each run it gets (PROTOCOL.md,
      // "Verifying a batch"), so a run ends at a record whose own signature holds. Only a writer
      // that signed after a record with a bad signature makes this cut anything.
      let end = run.length
      while (end > 0 && !await records.ownSignatureHolds(run[end - 1]!.record, keyring)) end--
      return run.slice(0, end)
    },
    ingest: deps.ingest ?? (async (thread, received) => {
      // Stored only when the thread's ACL admits them (admission.ts), as on a member.
      const keyring = await keys.keyring(thread)
      const verified = await records.verifyMany(thread, received.map((r) => ({ ...r, keys: keyring })))
      const hook = deps.hook?.(thread)
      // Concurrent pushes to one thread are committed together (group commit); the hook judges each record on its own.
      return await records.commitVerified(thread, verified.map((v) => ({ verified: v, hook })), { admit: async (items) => await admissionOf(thread).admit(items, keyring), groupHooks: true })
    }),
    follow: deps.follow,
    snapshots: deps.snapshots,
    // A member serving other browsers directly asks what a follower asks: a stranger who reaches it learns no more than from a follower.
    async mayPull (thread: string, log: string): Promise<boolean> {
      const acl = await admissionOf(thread).state(await keys.keyring(thread))
      return atLeast(acl.members().find((m) => m.log === log)?.role ?? 'none', 'follow')
    },
    ownLog: async (thread) => (await keys.findSelf(thread))?.log,
    async pullProof (thread, peer) {
      const self = await keys.findSelf(thread)
      return self === undefined ? undefined : await createPullProof({ thread, peer, member: logIdentityFromSeed(self.identitySeed) })
    }
  }
}
