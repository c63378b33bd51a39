/**
 * The record store: verified records of every log of every thread, their
 * position index and each log's head.
 *
 * Guarantees:
 * - nothing is stored before it is verified (verify-incoming.ts), and a
 *   rejected record changes nothing;
 * - a record is stored only after its prev and dependencies, so each log is
 *   held as a contiguous chain from seq 1 to its head; what is missing is
 *   named in MissingDependencyError so sync can fetch it;
 * - one position of a log holds one record: a second, different record there
 *   is an EquivocationError naming both;
 * - records of one thread are committed one batch at a time, in order;
 * - every block read back is re-hashed (a record block: the node it opens to),
 *   so corruption at rest is a BadCidError (or a DecryptError), never a wrong answer.
 */
import { AbortError, BadSignatureError, BlockNotFoundError, MalformedRecordError, MissingKeyError, ThreadsError, throwIfAborted } from '../errors.ts'
import type { BatchOperation, RawBlock, StorageBackend, StoreCallOptions } from '../storage/interfaces.ts'
import { getValue, lastWriteOfEachKey, listValues, putValue } from '../storage/meta-values.ts'
import type { CID } from 'multiformats/cid'
import { createLogger } from '../logger.ts'
import { checkBlock } from './blocks.ts'
import { headerKeyOf, type LogPosition } from './create-record.ts'
import type { EpochKeyring, FollowKeys } from './keyring.ts'
import { checkRecordBlock, openBody, openEvent, openHeader, openRecordUnsigned, verifyRecordSignature } from './open-record.ts'
import { LIMITS, type EventHeader, type EventLinks, type RecordNode } from './record-format.ts'
import { createAclIndex, type AclRow } from './acl-index.ts'
import { aclKey, headKey, placeRecord, recKey, seqKey, type LogHead, type Position } from './record-position.ts'
import { verifyIncomingBatch, verifyIncomingRecord, type ReceivedRecord, type VerifiedRecord } from './verify-incoming.ts'

export type { LogHead } from './record-position.ts'

const logger = createLogger('log:record-store')

/** Outcome of ingesting a record. */
export interface IngestResult {
  readonly status: 'stored' | 'duplicate'
  readonly record: string
  readonly node: RecordNode
}

/** A record opened down to its payload. */
export interface OpenedEvent {
  readonly record: string
  readonly node: RecordNode
  readonly header: EventHeader
  readonly payload: unknown
}

/** A record of this peer's own log, created when its turn comes. */
interface OwnItem {
  readonly log: string
  readonly build: (prev: LogHead | null) => Promise<CreatedOwn>
  readonly hook?: CommitHook
}

/**
 * A record of this peer's own log made in two steps, so that signing one
 * record (a round trip to WebCrypto) overlaps with making the next: `prepare`
 * runs in batch order, knowing the record's seq, and makes its content and
 * the view rows it derives (it may see what the items before it staged);
 * `sign` then places it after the record before it. A `prepare` that throws
 * a ThreadsError writes nothing for its item.
 */
export interface DraftItem {
  readonly log: string
  readonly prepare: (seq: number) => Promise<OwnDraft>
}

/** What `DraftItem.prepare` makes: the signing still to do, and the derived rows. */
export interface OwnDraft {
  readonly sign: (prev: LogPosition | null) => Promise<CreatedOwn & { link?: CID }>
  readonly operations?: readonly BatchOperation[]
  readonly committed?: () => void
}

/**
 * A record this peer created: its blocks (record, event, header, body) and,
 * where the creator has them, its event's links (else they are read from the
 * event block).
 */
export interface CreatedOwn {
  readonly record: string
  readonly node: RecordNode
  readonly blocks: readonly RawBlock[]
  readonly links?: EventLinks
}

/**
 * A batch of drafts written but not necessarily applied or durable yet: later
 * writes come after it, and reads see it once it is applied. `synced` resolves once it is as durable as
 * the backend makes writes (at once where the backend applies and syncs as one
 * step) and rejects if it never becomes so; only then may `committed` run the
 * drafts' hooks and may the batch be reported done.
 */
export interface AppliedDrafts {
  readonly outcomes: BatchOutcome[]
  readonly synced: Promise<void>
  readonly committed: () => void
}

/** One record of a batch: received and verified, or to be created. */
type BatchItem = { readonly verified: VerifiedRecord, readonly hook?: CommitHook } | OwnItem

/** What a batch answers for each item. */
export type BatchOutcome = IngestResult | Error

/**
 * Runs inside a log's commit queue once a record has passed every check and
 * before anything is written. The operations it returns are written in the
 * same atomic batch as the record's index and head, so derived state (the
 * database's views) never disagrees with the log; `committed` runs once that
 * batch is durable. A hook that throws rejects the record and writes nothing.
 */
export type CommitHook = (record: { readonly record: string, readonly node: RecordNode, readonly blocks: readonly RawBlock[] }) =>
  Promise<{ readonly operations: readonly BatchOperation[], readonly committed?: () => void }>

/** Decides, in the commit queue, which verified records may be committed (see admission.ts); answers each with itself or its error. */
export type Admit = (verified: ReadonlyArray<VerifiedRecord | Error>) => Promise<ReadonlyArray<VerifiedRecord | Error>>

/** commitVerified calls committed together: their items in order, the admission to use, and the commit once it has run. */
interface OpenGroup {
  readonly items: Array<{ readonly verified: VerifiedRecord | Error, readonly hook?: CommitHook }>
  admit: Admit | undefined
  done?: Promise<{ outcomes: BatchOutcome[], synced: Promise<void> }>
}

/** Most records one group of commitVerified calls commits at once. */
const MAX_GROUPED_ITEMS = 4096

/** How many record IDs `ownSignatureHolds` remembers its answer for. */
const MAX_KNOWN_SIGNATURES = 4096

/** Record store operations. */
export type RecordStore = ReturnType<typeof createRecordStore>

/**
 * A record store over a storage backend. `soleWriter`: no other record store
 * (in this process or another) writes records to the backend, so indexes read
 * often may be kept in memory (acl-index.ts).
 */
export function createRecordStore ({ backend, soleWriter = false }: { backend: StorageBackend, soleWriter?: boolean }) {
  const { blocks, meta } = backend
  const aclIndex = createAclIndex({ meta, inMemory: soleWriter })
  const queues = new Map<string, Promise<unknown>>()
  /** Per thread, the group of commitVerified calls still open to more (see commitVerified). */
  const openGroups = new Map<string, OpenGroup>()
  /** Whether a stored record's own signature holds, by record ID (see ownSignatureHolds). */
  const signatureHolds = new Map<string, boolean>()
  /** Per thread, how many batches commitBatch has written (see `changes`). */
  const batchesWritten = new Map<string, number>()
  /**
   * Per log (keyed by its head key), the last batch of drafts written and not
   * yet applied: its head, and its write, which resolves once applied (see
   * commitDrafts). Per thread, the newest such write, settled.
   */
  const draftsInFlight = new Map<string, { readonly head: LogHead, readonly applied: Promise<unknown> }>()
  const threadDraftsApplied = new Map<string, Promise<void>>()

  /** Runs `task` after every earlier task of the same log has settled. */
  function serialize<T> (key: string, task: () => Promise<T>): Promise<T> {
    const run = (queues.get(key) ?? Promise.resolve()).then(task, task)
    const settled = run.then(() => undefined, () => undefined)
    queues.set(key, settled)
    void settled.then(() => { if (queues.get(key) === settled) queues.delete(key) })
    return run
  }

  /**
   * Checks and commits records in order, as one storage write. Each item is
   * checked against what is stored plus the items before it in the batch; an
   * item that fails its checks is answered with its error and left out, and the
   * others go on. Blocks are written first (an interrupted batch leaves only
   * unreferenced blocks), then every index entry, head and derived row in one
   * atomic batch (one step with the blocks where the backend can, as IndexedDB
   * does); `committed` hooks run in order once it is durable.
   */
  /**
   * Writes a batch's blocks and index rows; resolves with the sync still to
   * await. Where the backend applies before it syncs (commitApplied) and no
   * hook waits on durability, it resolves once applied: the caller awaits the
   * sync outside the thread's queue, so the next batch is applied while this
   * one syncs and both share a sync. Otherwise it resolves once durable.
   */
  async function writeBatch (newBlocks: readonly RawBlock[], writes: readonly BatchOperation[], options: StoreCallOptions | undefined, hooks: number): Promise<{ readonly synced: Promise<void> }> {
    if (backend.commitApplied !== undefined && hooks === 0) return await backend.commitApplied(newBlocks, writes, options)
    if (backend.commit !== undefined) await backend.commit(newBlocks, writes, options)
    else {
      await blocks.putMany(newBlocks, options)
      await meta.batch(writes, options)
    }
    return { synced: Promise.resolve() }
  }

  async function commitBatch (thread: string, items: readonly BatchItem[], options?: StoreCallOptions, onSync?: (synced: Promise<void>) => void): Promise<BatchOutcome[]> {
    // What it reads must include every batch of drafts written before it.
    await threadDraftsApplied.get(thread)
    // What the batch wrote or already read (absent keys too): each key is read from storage at most once.
    const staged = new Map<string, unknown>()
    const read = async <T>(key: string): Promise<T | undefined> => {
      if (staged.has(key)) return staged.get(key) as T | undefined
      const value = await getValue<T>(meta, key, options)
      staged.set(key, value)
      return value
    }
    const outcomes: BatchOutcome[] = []
    const newBlocks: RawBlock[] = []
    const operations: BatchOperation[] = []
    const heads = new Map<string, LogHead>()
    const committed: Array<() => void> = []
    const aclRows: AclRow[] = []
    for (const item of items) {
      throwIfAborted(options?.signal)
      try {
        const received = 'verified' in item
        const verified = received ? item.verified : await ownRecord(item, await read<LogHead>(headKey(thread, item.log)))
        const { node, record } = verified
        // A record this peer just built follows its own head and links only held heads: it is new and
        // well placed by construction, so only received records are placed with checks.
        if (received && await placeRecord(thread, record, node, read) === 'duplicate') {
          outcomes.push({ status: 'duplicate', record, node })
          continue
        }
        const derived = await item.hook?.({ record, node, blocks: verified.blocks })
        const position: Position = { log: node.log, seq: node.seq, links: [node.event, verified.links.header, verified.links.body] }
        const head = { log: node.log, record, seq: node.seq }
        staged.set(recKey(thread, record), position)
        staged.set(seqKey(thread, node.log, node.seq), record)
        staged.set(headKey(thread, node.log), head)
        heads.set(node.log, head)
        newBlocks.push(...verified.blocks)
        operations.push(putValue(recKey(thread, record), position), putValue(seqKey(thread, node.log, node.seq), record), ...(derived?.operations ?? []))
        if (node.kind === 'acl') {
          operations.push(putValue(aclKey(thread, record), { log: node.log, seq: node.seq }))
          aclRows.push({ record, log: node.log, seq: node.seq })
        }
        if (derived?.committed !== undefined) committed.push(derived.committed)
        outcomes.push({ status: 'stored', record, node })
      } catch (error) {
        if (!(error instanceof ThreadsError) || error instanceof AbortError) throw error
        outcomes.push(error)
      }
    }
    if (operations.length > 0) {
      throwIfAborted(options?.signal)
      // Each log's head is written once, at its newest record; rows rewritten by several records
      // of the batch (a document, the view's clock) once, with their last value.
      for (const head of heads.values()) operations.push(putValue(headKey(thread, head.log), head))
      let written: { readonly synced: Promise<void> }
      try {
        written = await writeBatch(newBlocks, lastWriteOfEachKey(operations), options, onSync === undefined ? 1 : committed.length)
      } finally {
        // Counted even when the write failed: it may still have landed, and a spurious change costs only a re-read.
        batchesWritten.set(thread, (batchesWritten.get(thread) ?? 0) + 1)
      }
      aclIndex.written(thread, aclRows)
      const { synced } = written
      if (onSync === undefined) await synced
      else onSync(synced)
      for (const run of committed) run()
    }
    return outcomes
  }

  async function ownRecord (item: OwnItem, head: LogHead | undefined): Promise<VerifiedRecord> {
    return checkedOwn(item.log, await item.build(head ?? null))
  }

  function checkedOwn (log: string, created: CreatedOwn): VerifiedRecord {
    const [, event] = created.blocks
    if (event === undefined || created.node.log !== log) throw new MalformedRecordError('a created record must carry its blocks and belong to the log')
    return { record: created.record, node: created.node, blocks: created.blocks, links: created.links ?? openEvent(event) }
  }

  /**
   * Appends drafts to one log as one storage write: each draft is prepared in
   * order and its signing started at once, chained to the signing of the one
   * before it, so the next draft is prepared while WebCrypto signs. A draft
   * whose prepare throws a ThreadsError is left out; a signing that fails
   * fails the batch, and nothing of it is written. Resolves once the write is
   * issued, before it is applied (see AppliedDrafts): the next batch of the log
   * is prepared and signed while this one is applied and synced, after the head
   * this one leaves, and is written only once this one is applied (if this one
   * fails, so does the next, built on it). The drafts' `committed` hooks are
   * the caller's to run, once `synced` has resolved.
   */
  async function commitDrafts (thread: string, log: string, items: readonly DraftItem[], options?: StoreCallOptions): Promise<AppliedDrafts> {
    const key = headKey(thread, log)
    const before = draftsInFlight.get(key)
    const head = before !== undefined ? before.head : await getValue<LogHead>(meta, key, options)
    let seq = head?.seq ?? 0
    let previous: Promise<LogPosition | null> = Promise.resolve(head ?? null)
    const pending: Array<Promise<{ verified: VerifiedRecord, link?: CID }> | Error> = []
    const derived: Array<{ operations: readonly BatchOperation[], committed?: () => void }> = []
    for (const item of items) {
      throwIfAborted(options?.signal)
      if (item.log !== log) throw new MalformedRecordError('the drafts of one batch belong to one log')
      let draft: OwnDraft
      try {
        draft = await item.prepare(seq + 1)
      } catch (error) {
        if (!(error instanceof ThreadsError) || error instanceof AbortError) throw error
        pending.push(error)
        continue
      }
      seq++
      const signed = previous.then(async (prev) => {
        const created = await draft.sign(prev)
        return { verified: checkedOwn(log, created), link: created.link }
      })
      previous = signed.then(({ verified, link }) => ({ record: verified.record, seq: verified.node.seq, link }))
      // Awaited below, in order, where a failure ends the batch; until then it must not count as unhandled.
      signed.catch((error: unknown) => { logger('signing a record failed (the batch fails with it): %s', (error as Error)?.name) })
      pending.push(signed)
      derived.push({ operations: draft.operations ?? [], committed: draft.committed })
    }
    const outcomes: BatchOutcome[] = []
    const newBlocks: RawBlock[] = []
    const operations: BatchOperation[] = []
    let last: LogHead | undefined
    const aclRows: AclRow[] = []
    for (const entry of pending) {
      if (entry instanceof Error) { outcomes.push(entry); continue }
      const { record, node, blocks: recordBlocks, links } = (await entry).verified
      if (node.seq !== (last?.seq ?? head?.seq ?? 0) + 1) throw new MalformedRecordError(`a draft of log ${log} was signed at seq ${node.seq}, out of order`)
      newBlocks.push(...recordBlocks)
      operations.push(putValue(recKey(thread, record), { log, seq: node.seq, links: [node.event, links.header, links.body] } satisfies Position), putValue(seqKey(thread, log, node.seq), record))
      if (node.kind === 'acl') {
        operations.push(putValue(aclKey(thread, record), { log, seq: node.seq }))
        aclRows.push({ record, log, seq: node.seq })
      }
      last = { log, record, seq: node.seq }
      outcomes.push({ status: 'stored', record, node })
    }
    if (last === undefined) return { outcomes, synced: Promise.resolve(), committed: () => {} }
    for (const d of derived) operations.push(...d.operations)
    operations.push(putValue(headKey(thread, log), last))
    const writes = lastWriteOfEachKey(operations)
    if (before !== undefined) await before.applied
    throwIfAborted(options?.signal)
    const written = writeBatch(newBlocks, writes, options, 0)
    const inFlight = { head: last, applied: written }
    draftsInFlight.set(key, inFlight)
    const settled = written.then(() => { aclIndex.written(thread, aclRows) }, (error: unknown) => {
      logger('a batch of drafts was not applied (its callers are told): %s', (error as Error)?.name)
    }).finally(() => { if (draftsInFlight.get(key) === inFlight) draftsInFlight.delete(key) })
    threadDraftsApplied.set(thread, settled)
    return { outcomes, synced: written.then(async ({ synced }) => { await synced }), committed: () => { for (const d of derived) d.committed?.() } }
  }

  /** Commits one item and throws its error, if any. */
  async function commitOne (thread: string, item: BatchItem, options?: StoreCallOptions): Promise<IngestResult> {
    const [outcome] = await commitBatch(thread, [item], options)
    if (outcome instanceof Error) throw outcome
    return outcome!
  }

  async function readBlock (cid: string, maxBytes: number, what: string, options?: StoreCallOptions): Promise<RawBlock> {
    const bytes = await blocks.get(cid, options)
    if (bytes === undefined) throw new BlockNotFoundError(`${what} block ${cid} is not in the store`, cid)
    checkBlock(cid, bytes, maxBytes, what)
    return { cid, bytes }
  }

  /**
   * A stored record block (the sealed node), checked by opening it and hashing
   * the node against the record ID; the signature was checked when the record
   * was accepted, and the ID fixes the node, so it is not checked again.
   */
  async function readRecordBlock (cid: string, keys: FollowKeys, options?: StoreCallOptions): Promise<{ block: RawBlock, node: RecordNode }> {
    const block = await storedRecordBlock(cid, options)
    return { block, node: openRecordUnsigned(block, keys) }
  }

  /** A stored record block checked against its ID by hashing what it opens to, without decoding it. */
  async function readStoredRecordBlock (cid: string, keys: FollowKeys, options?: StoreCallOptions): Promise<RawBlock> {
    const block = await storedRecordBlock(cid, options)
    checkRecordBlock(block, keys)
    return block
  }

  async function storedRecordBlock (cid: string, options?: StoreCallOptions): Promise<RawBlock> {
    const bytes = await blocks.get(cid, options)
    if (bytes === undefined) throw new BlockNotFoundError(`record block ${cid} is not in the store`, cid)
    return { cid, bytes }
  }

  /** Admits and commits a group's items in the thread's queue; resolves once applied, with the sync still to await. */
  async function commitGroupApplied (thread: string, group: OpenGroup, options?: StoreCallOptions): Promise<{ outcomes: BatchOutcome[], synced: Promise<void> }> {
    let synced: Promise<void> = Promise.resolve()
    const given = group.items
    // Admission runs in the thread's queue, so it sees every batch committed before this one.
    const admitted = group.admit === undefined ? undefined : await group.admit(given.map((item) => item.verified))
    const items = admitted === undefined ? given : given.map((item, i) => ({ ...item, verified: admitted[i]! }))
    const committed = await commitBatch(thread, items.flatMap((item) => item.verified instanceof Error ? [] : [{ verified: item.verified, hook: item.hook }]), options, (s) => { synced = s })
    return { outcomes: items.map((item) => item.verified instanceof Error ? item.verified : committed.shift()!), synced }
  }

  /** Commits one caller's items alone, in the thread's queue; the next batch is applied while this one syncs, and this one is answered once synced. */
  async function commitGroup (thread: string, group: OpenGroup, options?: StoreCallOptions): Promise<BatchOutcome[]> {
    const { outcomes, synced } = await serialize(thread, async () => await commitGroupApplied(thread, group, options))
    await synced
    return outcomes
  }

  const store = {
    /**
     * A number that changes whenever this store commits records to `thread`
     * other than by appendDrafts (that is, received records, and this peer's
     * own ACL records): while it is unchanged, the heads of logs other than
     * the drafting one and the thread's ACL records are as this store left
     * them. Writes through another store over the same backend (another
     * database on it, another process) do not change it: a database writes
     * all of its threads' records through its one store.
     */
    changes: (thread: string): number => batchesWritten.get(thread) ?? 0,

    /**
     * Verifies a received record of `log` and stores it with its blocks.
     * Throws a typed error (and stores nothing) when any check fails.
     */
    async ingest (input: ReceivedRecord & { thread: string }, options?: StoreCallOptions & { hook?: CommitHook }): Promise<IngestResult> {
      const verified = await verifyIncomingRecord(input.thread, input)
      return await serialize(input.thread, async () => await commitOne(input.thread, { verified, hook: options?.hook }, options))
    },

    /**
     * Verifies received records and commits those that pass as one storage
     * write, in order (a record may depend on one before it in the batch).
     * Each item is answered with its result or its typed error.
     */
    async ingestMany (thread: string, inputs: ReadonlyArray<ReceivedRecord & { hook?: CommitHook }>, options?: StoreCallOptions): Promise<BatchOutcome[]> {
      const verified = await store.verifyMany(thread, inputs)
      return await store.commitVerified(thread, verified.map((v, i) => ({ verified: v, hook: inputs[i]!.hook })), options)
    },

    /**
     * The stateless checks of received records of `thread`
     * (verify-incoming.ts), authenticity by chain included, with no storage
     * access: a caller can verify one batch while the batch before it is being
     * committed. Each is answered with its verified form or its typed error.
     */
    async verifyMany (thread: string, inputs: readonly ReceivedRecord[]): Promise<Array<VerifiedRecord | Error>> {
      return await verifyIncomingBatch(thread, inputs)
    },

    /**
     * Commits records that verifyMany passed, in the thread's commit queue, as
     * one storage write, with the same stateful checks as ingestMany; an error
     * from verifyMany is passed through as that item's outcome. Calls without
     * hooks made while the queue is busy (a follower's concurrent pushes) are
     * committed together, in the order they came, as one batch: one admission
     * and one storage write for all of them (group commit); each caller is
     * answered its own outcomes once they are synced. `groupHooks` groups calls
     * with hooks too, for hooks that judge each record on its own (the
     * follower's media hook): they run in batch order, before any `committed`.
     */
    async commitVerified (thread: string, given: ReadonlyArray<{ verified: VerifiedRecord | Error, hook?: CommitHook }>, options?: StoreCallOptions & { admit?: Admit, groupHooks?: boolean }): Promise<BatchOutcome[]> {
      if (options?.signal !== undefined || (options?.groupHooks !== true && given.some((item) => item.hook !== undefined))) return await commitGroup(thread, { items: [...given], admit: options?.admit }, options)
      let group = openGroups.get(thread)
      if (group === undefined || group.items.length >= MAX_GROUPED_ITEMS) {
        const created: OpenGroup = { items: [], admit: undefined }
        created.done = serialize(thread, async () => {
          // From here on, callers form the next group.
          if (openGroups.get(thread) === created) openGroups.delete(thread)
          return await commitGroupApplied(thread, created)
        })
        // Each caller awaits it below; a failure reaches them all there.
        created.done.catch((error: unknown) => { logger('a group of commits failed (its callers are told): %s', (error as Error)?.name) })
        openGroups.set(thread, created)
        group = created
      }
      const offset = group.items.length
      group.items.push(...given)
      // The newest keyring admits the most: the group is admitted with the last caller's.
      if (options?.admit !== undefined) group.admit = options.admit
      const { outcomes, synced } = await group.done!
      await synced
      return outcomes.slice(offset, offset + given.length)
    },

    /**
     * Appends to this peer's own log: in the thread's commit queue, reads the
     * head, lets `build` create the next record after it, and commits it with
     * the same stateful checks as ingest. One queue makes the writer single.
     */
    async appendOwn (thread: string, log: string, build: OwnItem['build'], options?: StoreCallOptions & { hook?: CommitHook }): Promise<IngestResult> {
      return await serialize(thread, async () => await commitOne(thread, { log, build, hook: options?.hook }, options))
    },

    /** Appends several records to this peer's own log as one storage write (group commit). */
    async appendOwnMany (thread: string, items: ReadonlyArray<Omit<OwnItem, 'hook'> & { hook?: CommitHook }>, options?: StoreCallOptions): Promise<BatchOutcome[]> {
      return await serialize(thread, async () => await commitBatch(thread, items, options))
    },

    /**
     * Appends drafts to this peer's own log `log` as one storage write (group
     * commit), signing each while the next is prepared (see DraftItem).
     * Resolves once the write is applied, so the caller can prepare its next
     * batch while this one syncs (see AppliedDrafts).
     */
    async appendDrafts (thread: string, log: string, items: readonly DraftItem[], options?: StoreCallOptions): Promise<AppliedDrafts> {
      return await serialize(thread, async () => await commitDrafts(thread, log, items, options))
    },

    /**
     * Whether writes resolve once applied, before their sync (the backend has
     * commitApplied): then a writer gains by committing in smaller batches, each
     * prepared while the one before it syncs.
     */
    appliesBeforeSync: backend.commitApplied !== undefined,

    async head (thread: string, log: string, options?: StoreCallOptions): Promise<LogHead | undefined> {
      return await getValue<LogHead>(meta, headKey(thread, log), options)
    },

    async heads (thread: string, options?: StoreCallOptions): Promise<LogHead[]> {
      const out: LogHead[] = []
      for await (const [, head] of listValues<LogHead>(meta, `head/${thread}/`, options)) out.push(head)
      return out
    },

    /** Every held ACL record of a thread (record ID, log, seq), in record ID order. */
    async aclRecords (thread: string, options?: StoreCallOptions): Promise<AclRow[]> {
      return await aclIndex.list(thread, options)
    },

    /** A number that changes whenever this store writes ACL records of `thread`; undefined unless it is the sole writer (acl-index.ts). */
    aclVersion: (thread: string): number | undefined => aclIndex.version(thread),

    async hasRecord (thread: string, cid: string, options?: StoreCallOptions): Promise<boolean> {
      return await meta.has(recKey(thread, cid), options)
    },

    /** The record CID at a position of a log, if held. */
    async recordAt (thread: string, log: string, seq: number, options?: StoreCallOptions): Promise<string | undefined> {
      return await getValue<string>(meta, seqKey(thread, log, seq), options)
    },

    /**
     * Whether a stored record's own signature verifies. A record accepted by
     * chain (PROTOCOL.md, "Verifying a batch") was vouched for by a later
     * record; a server ends what it sends of a log at a record that vouches
     * for itself.
     */
    async ownSignatureHolds (cid: string, keys: FollowKeys, options?: StoreCallOptions): Promise<boolean> {
      // A record ID fixes its node and signature, so an answer once known stays true; serving the
      // same tips to many pullers checks each once (bounded, as any peer may ask for them).
      const known = signatureHolds.get(cid)
      if (known !== undefined) return known
      const node = (await readRecordBlock(cid, keys, options)).node
      const holds = await verifyRecordSignature(node, cid).then(() => true, (error: unknown) => {
        if (error instanceof BadSignatureError) return false
        throw error
      })
      if (signatureHolds.size >= MAX_KNOWN_SIGNATURES) signatureHolds.clear()
      signatureHolds.set(cid, holds)
      return holds
    },

    /** Reads and decrypts a stored record node with the follow key, checking it against its ID. */
    async readRecord (cid: string, keys: FollowKeys, options?: StoreCallOptions): Promise<RecordNode> {
      return (await readRecordBlock(cid, keys, options)).node
    },

    /** A stored record's four blocks, each re-verified (for serving to peers). */
    async recordBlocks (cid: string, keys: FollowKeys, options?: StoreCallOptions & { thread?: string }): Promise<RawBlock[]> {
      // Fast path: the links noted at commit time; every block is still checked against its CID.
      const known = options?.thread === undefined ? undefined : (await getValue<Position>(meta, recKey(options.thread, cid), options))?.links
      if (known !== undefined) {
        return await Promise.all([
          readStoredRecordBlock(cid, keys, options),
          readBlock(known[0], LIMITS.maxEventBlockBytes, 'event', options),
          readBlock(known[1], LIMITS.maxHeaderBlockBytes, 'header', options),
          readBlock(known[2], LIMITS.maxBodyBlockBytes, 'body', options)
        ])
      }
      const { block: recordBlock, node } = await readRecordBlock(cid, keys, options)
      const eventBlock = await readBlock(node.event, LIMITS.maxEventBlockBytes, 'event', options)
      const links = openEvent(eventBlock)
      return [recordBlock, eventBlock,
        await readBlock(links.header, LIMITS.maxHeaderBlockBytes, 'header', options),
        await readBlock(links.body, LIMITS.maxBodyBlockBytes, 'body', options)]
    },

    /** Opens a stored record down to its payload (a database event needs its epoch's read key). */
    async openEvent (cid: string, keys: EpochKeyring, options?: StoreCallOptions): Promise<OpenedEvent> {
      const node = await store.readRecord(cid, keys, options)
      const links = openEvent(await readBlock(node.event, LIMITS.maxEventBlockBytes, 'event', options))
      const followKey = keys.followKey(node.key)!
      const readKey = keys.readKey(node.key)
      if (node.kind === 'data' && readKey === undefined) throw new MissingKeyError(`no read key is held for the epoch of record ${cid}`)
      const header = openHeader(await readBlock(links.header, LIMITS.maxHeaderBlockBytes, 'header', options), headerKeyOf({ followKey, readKey }, node.kind))
      const payload = openBody(await readBlock(links.body, LIMITS.maxBodyBlockBytes, 'body', options), header.key)
      return { record: cid, node, header, payload }
    },

    /** Walks a log from its head back to seq 1 (or `untilSeq`), checking each record against its ID. */
    async * walk (thread: string, log: string, keys: FollowKeys, options?: StoreCallOptions & { untilSeq?: number }): AsyncGenerator<{ record: string, node: RecordNode }> {
      let cursor = (await store.head(thread, log, options))?.record ?? null
      while (cursor !== null) {
        throwIfAborted(options?.signal)
        const node = await store.readRecord(cursor, keys, options)
        if (node.log !== log) throw new MalformedRecordError(`record ${cursor} in the chain of ${log} belongs to ${node.log}`)
        yield { record: cursor, node }
        if (options?.untilSeq !== undefined && node.seq <= options.untilSeq) return
        cursor = node.prev
      }
    }
  }
  return store
}
