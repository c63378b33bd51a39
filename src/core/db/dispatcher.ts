/**
 * The dispatcher: the one path every database event takes, local or from a
 * peer. Commands and received records queue up; each turn takes everything
 * queued (group commit), turns commands into records of this peer's log, and
 * stores all records together with the view rows they change in one atomic
 * storage batch. Only once that batch is durable are the changes installed in
 * memory, subscribers told and commands answered. Where storage applies a
 * batch apart from syncing it (LMDB), commands are committed in groups and
 * the next group is prepared and signed while the one before it is written
 * and synced, built on the states that group staged (group commit
 * pipelining); no
 * command is answered, and nothing of it shown, before its group is durable.
 * Received records are verified as soon as they are queued (the checks
 * that need no state), so one batch is verified while another is committed.
 * A failure leaves log, stored views and in-memory views as they were; a
 * command or record that fails its own checks fails alone.
 *
 * Whether a received record is stored is the log layer's decision alone, the
 * same as on a follower, which cannot read payloads: a record it accepts whose
 * payload this replica cannot apply (no read key, does not open, not a valid
 * database event) is stored all the same, so its log's head advances and it is
 * relayed, and is left out of the views and reported (skipped.ts). So is a
 * database event that changes a document bound to another log while its
 * author's role there is below delete (document-access.ts); this peer's own
 * such command is refused before it is written.
 */
import type { RandomSource } from '../crypto/random.ts'
import { atLeast } from '../acl/roles.ts'
import type { AclState, Role } from '../acl/types.ts'
import { MalformedRecordError, MissingKeyError, RoleError, ThreadsError } from '../errors.ts'
import type { LogIdentity } from '../ids/log-id.ts'
import { headerKeyOf, sealEncodedEvent, signRecord } from '../log/create-record.ts'
import { mediaChanges } from './media-references.ts'
import { createLogger } from '../logger.ts'
import { decryptBody, decryptHeader } from '../log/open-record.ts'
import type { BatchOutcome, CommitHook, DraftItem, IngestResult, LogHead, RecordStore } from '../log/record-store.ts'
import type { VerifiedRecord } from '../log/verify-incoming.ts'
import type { Admission } from '../log/admission.ts'
import type { EpochKeyring } from '../log/keyring.ts'
import type { RecordNode } from '../log/record-format.ts'
import type { Sha256 } from '../log/blocks.ts'
import type { HeldEpoch, KeyBook } from '../storage/key-book.ts'
import type { RawBlock } from '../storage/interfaces.ts'
import type { DocState } from './doc-state.ts'
import { documentAccessRefusal, ownDocumentRefusal } from './document-access.ts'
import { InvalidEventError } from './errors.ts'
import { DB_EVENT_VERSION, ownEncodedEvent, parseDbEvent, type DbEvent, type Operation } from './events.ts'
import { skippedRecord, skippedRecordRow, type SkippedRecord } from './skipped.ts'
import { stagedKey, type ThreadView, type ViewChange } from './view.ts'
import type { RecordEnvelope } from '../log/record-envelope.ts'

const log = createLogger('db:dispatcher')

/** Called after changes are durable and installed, with the collections they touched. */
export type ChangeListener = (collections: ReadonlySet<string>) => void

/** The dispatcher of one thread. */
export interface Dispatcher {
  /** Runs `task` alone, after everything queued before it is done (durable and installed). */
  serialize<T>(task: () => Promise<T>): Promise<T>
  /**
   * Queues a command: in its turn `build` sees the current state (including
   * commands committed with it) and returns its operations, written as one
   * event of this peer's log. Resolves once durable; nothing is written when
   * `build` returns no operations or throws.
   */
  commit(build: () => readonly Operation[]): Promise<IngestResult | undefined>
  /** Verifies, stores and applies records received from peers; answers each with its result or typed error. */
  ingest(envelopes: readonly RecordEnvelope[]): Promise<BatchOutcome[]>
  /** The state of a document staged by the turn in progress, if any. */
  staged(coll: string, id: string): DocState | undefined
  onChange(listener: ChangeListener): () => void
}

/** Nothing to write: a command whose build returned no operations. */
class NothingToWrite extends ThreadsError {
  static override readonly errorName = 'NothingToWrite'
}

type Queued =
  | { readonly kind: 'command', readonly build: () => readonly Operation[], readonly done: (outcome: BatchOutcome | undefined) => void }
  | { readonly kind: 'records', readonly prepared: Promise<PreparedRecords>, readonly done: (outcomes: BatchOutcome[]) => void, readonly fail: (error: unknown) => void }

/** Received records, verified (or refused) and opened ahead of their turn. */
interface PreparedRecords {
  readonly records: ReadonlyArray<{ readonly verified: VerifiedRecord | Error, readonly payload?: Payload | typeof ACL_EVENT }>
  readonly keyring: EpochKeyring
}

/** A received record's payload: the database event it holds, or why it cannot be applied. */
export type Payload = DbEvent | ThreadsError

/** An ACL event: not a database event, so views leave it out, and it is not a skipped record either. */
export const ACL_EVENT = 'acl-event'

/**
 * What a verified record holds for the views: ACL_EVENT for an ACL record,
 * else its database event (opened with the read key of the epoch that sealed
 * it) or why it cannot be applied.
 */
export function recordPayload (blocks: readonly RawBlock[], node: RecordNode, keys: EpochKeyring): Payload | typeof ACL_EVENT {
  return node.kind === 'acl' ? ACL_EVENT : openPayload(blocks, keys.readKey(node.key), node.log)
}

/**
 * Opens a record's payload with its log's read key. A payload this replica
 * cannot apply is answered with its error (MissingKeyError without a read key,
 * DecryptError or MalformedRecordError when it does not open, InvalidEventError
 * when it is not a valid database event), never thrown.
 */
export function openPayload (blocks: readonly RawBlock[], readKey: Uint8Array | undefined, log: string): Payload {
  if (readKey === undefined) return new MissingKeyError(`no read key is held for the epoch of this record of log ${log}`)
  try {
    const [, event, header, body] = blocks
    if (event === undefined || header === undefined || body === undefined) throw new MalformedRecordError('a record needs its event, header and body blocks')
    // The event block was checked with the record (verify-incoming.ts, or re-hashed when read back).
    return parseDbEvent(decryptBody(body, decryptHeader(header, readKey).key))
  } catch (error) {
    if (!(error instanceof ThreadsError)) throw error
    return error
  }
}

/**
 * What a stored record received from a peer does to `view` (computed against
 * `staged` states where given): the change its event makes, or the report of
 * why it is skipped (its payload does not open or parse, or it changes a
 * document bound to another log while `role`, its log's role at its seq, is
 * below delete). Installing is the caller's; a rebuild's replay gives the
 * same answer as the ingest did.
 */
export function receivedChange (view: ThreadView, payload: Payload, at: { readonly record: string, readonly log: string, readonly seq: number, readonly role: Role }, staged?: ReadonlyMap<string, DocState>): ViewChange | SkippedRecord {
  if (payload instanceof Error) return skippedRecord(at.record, at.log, at.seq, payload)
  // A change to a document bound to another log, by a member below delete there: skipped whole.
  const refusal = documentAccessRefusal(payload.ops, at.log, at.role)
  if (refusal !== undefined) return skippedRecord(at.record, at.log, at.seq, refusal)
  try {
    return view.compute(payload, at.log, at.seq, staged)
  } catch (cause) {
    // Parsing leaves nothing known to fail here; should an operation still not apply, the record
    // is skipped rather than refused, so its log is never stuck behind it.
    return skippedRecord(at.record, at.log, at.seq, new InvalidEventError(`an operation does not apply: ${(cause as Error).message}`, { cause }))
  }
}

const MAX_COMMANDS_PER_TURN = 256
/**
 * Where storage applies and syncs apart from preparing (LMDB), a turn that
 * finds no group in flight splits its commands in two groups (of at least
 * this many commands), so that one is prepared and signed while the other is
 * written and synced; a turn that finds a group in flight takes its commands
 * as one group, prepared while that one is written. So two groups alternate,
 * each as large as the commands answered while the other was written.
 */
const MIN_PIPELINED_GROUP = 16

/** Wires a thread's record store, keys and view into its dispatcher. */
export function createDispatcher (deps: {
  readonly thread: string
  readonly identity: LogIdentity
  /** The epoch this peer seals its new records with (it holds its read key). */
  readonly epoch: () => HeldEpoch
  /** Admits received records by the thread's ACL (admission.ts). */
  readonly admission: Admission
  readonly records: RecordStore
  readonly keys: KeyBook
  readonly view: () => ThreadView
  readonly random?: RandomSource
  readonly now?: () => number
  /** Hashes the blocks of this peer's records (see DatabaseOptions.sha256). */
  readonly sha256?: Sha256
  /**
   * Called after events were installed, with how many, and whether more work
   * is queued already; later groups may already be applied but not installed,
   * so work that needs the view and the log to agree goes through `serialize`.
   */
  readonly afterApply?: (events: number, more: boolean) => void
  /** Called for each document state installed in the view. */
  readonly applied?: (coll: string, id: string) => void
}): Dispatcher {
  const { thread, records, identity } = deps
  const listeners = new Set<ChangeListener>()
  /** Heads of other logs our log already depends on (directly or through prev). */
  const covered = new Map<string, number>()
  let staged = new Map<string, DocState>()
  let stagedClock = 0
  let queue: Promise<unknown> = Promise.resolve()
  let waiting: Queued[] = []
  let scheduled = false
  /** Groups of commands applied to storage whose sync has not completed yet, oldest first, with the changes they staged. */
  const unsynced: Array<{ readonly changes: ViewChange[] }> = []
  /** Settles once every group applied so far is durable and installed, or failed (never rejects). */
  let settled: Promise<void> = Promise.resolve()

  /** Runs `task` after every task queued before it has settled (turns included). */
  const inQueue = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task)
    queue = run.then(() => undefined, () => undefined)
    return run
  }
  /** Runs `task` in the queue once every group applied before it is durable and installed. */
  const serialize = <T>(task: () => Promise<T>): Promise<T> => inQueue(async () => {
    await settled
    return await task()
  })

  /** Starts staging afresh: from the states of groups applied but not yet installed, over the view. */
  const restage = (): void => {
    staged = new Map()
    stagedClock = deps.view().clock
    for (const group of unsynced) {
      for (const change of group.changes) {
        for (const { coll, state } of change.states) staged.set(stagedKey(coll, state.id), state)
        stagedClock = Math.max(stagedClock, change.clock)
      }
    }
  }

  /** Stages a view change, to be installed once its record's batch is durable; `changes` collects it for its group. */
  const stageChange = (change: ViewChange, touched: Set<string>, applied: { count: number }, changes?: ViewChange[]): Awaited<ReturnType<CommitHook>> => {
    const view = deps.view()
    for (const { coll, state } of change.states) staged.set(stagedKey(coll, state.id), state)
    stagedClock = Math.max(stagedClock, change.clock)
    changes?.push(change)
    return {
      operations: view.persist(thread, change),
      committed: () => {
        for (const coll of view.apply(change)) touched.add(coll)
        for (const { coll, state } of change.states) deps.applied?.(coll, state.id)
        applied.count++
      }
    }
  }

  /** A hook that stages a received record's view change, or writes the report of why it is skipped. */
  const receivedHook = (payload: Payload | typeof ACL_EVENT, touched: Set<string>, applied: { count: number }, acl: () => AclState): CommitHook =>
    async ({ record, node }) => {
      if (payload === ACL_EVENT) return { operations: [] }
      const outcome = receivedChange(deps.view(), payload, { record, log: node.log, seq: node.seq, role: acl().roleAt(node.log, node.seq) }, staged)
      if ('kind' in outcome) return { operations: [skippedRecordRow(thread, outcome)] }
      return stageChange(outcome, touched, applied)
    }

  /**
   * This peer's role and the heads of the thread's logs, as the last turn that
   * read them found them, while neither the records committed other than by
   * this peer's drafts nor the keys held have changed since (a turn of
   * awaited single writes would otherwise read them again for each write).
   */
  let known: { readonly stamp: string, readonly role: Awaited<ReturnType<typeof ownRole>>, readonly heads: readonly LogHead[] } | undefined
  async function roleAndHeads (): Promise<NonNullable<typeof known>> {
    // Taken before reading: a change while reading makes the next turn read again.
    const stamp = `${records.changes(thread)} ${deps.keys.changes(thread)}`
    if (known?.stamp !== stamp) known = { stamp, role: await ownRole(), heads: await records.heads(thread) }
    return known
  }

  /**
   * Commits a group of commands; resolves once it is applied. Its commands are
   * answered, and its changes installed, in order after every group before it,
   * once it is durable.
   */
  async function runCommands (batch: Array<Extract<Queued, { kind: 'command' }>>): Promise<void> {
    const touched = new Set<string>()
    const applied = { count: 0 }
    const changes: ViewChange[] = []
    const { role: { refusal, role }, heads: held } = await roleAndHeads()
    if (refusal !== undefined) {
      for (const command of batch) command.done(refusal)
      return
    }
    const heads = held.filter((h) => h.log !== identity.logId && (covered.get(h.log) ?? 0) < h.seq)
    let firstOfTurn = true
    const items = batch.map((command): DraftItem => ({
      log: identity.logId,
      prepare: async (seq) => {
        const ops = command.build()
        if (ops.length === 0) throw new NothingToWrite('no change')
        // Refused here, in words, as every replica would skip it.
        const denied = ownDocumentRefusal(ops, identity.logId, role)
        if (denied !== undefined) throw denied
        // Capped, so a peer's event at the largest clock cannot stop this peer from writing.
        const { event, bytes } = ownEncodedEvent({ v: DB_EVENT_VERSION, type: 'db', clock: Math.min(stagedClock + 1, Number.MAX_SAFE_INTEGER), ops })
        const dependencies = firstOfTurn ? heads.map((h) => ({ log: h.log, record: h.record, kind: 'causal' })) : []
        firstOfTurn = false
        const epoch = deps.epoch()
        const sealed = sealEncodedEvent({ headerKey: headerKeyOf(epoch, 'data'), plaintext: bytes, time: (deps.now ?? Date.now)(), random: deps.random, sha256: deps.sha256 })
        const change = deps.view().compute(event, identity.logId, seq, staged)
        // The media its documents start and stop referencing, for followers to keep or drop without reading it.
        const media = mediaChanges(deps.view(), event, change, staged)
        // The view change is staged now, so the next command of the turn builds on it while this record is signed.
        const staging = stageChange(change, touched, applied, changes)
        return {
          ...staging,
          sign: async (prev) => await signRecord({ thread, identity, epoch, kind: 'data', event: sealed, prev, deps: dependencies, ...media, random: deps.random, sha256: deps.sha256 })
        }
      }
    }))
    const { outcomes, synced, committed } = await records.appendDrafts(thread, identity.logId, items)
    if (!firstOfTurn) for (const h of heads) covered.set(h.log, h.seq)
    const group = { changes }
    unsynced.push(group)
    const answer = (outcome: (i: number) => BatchOutcome | undefined): void => batch.forEach((command, i) => command.done(outcome(i)))
    // Groups settle in the order they were applied, each once its own sync is done.
    settled = settled.then(async () => {
      try {
        await synced
      } catch (cause) {
        unsynced.splice(unsynced.indexOf(group), 1)
        const error = cause instanceof Error ? cause : new Error(String(cause))
        answer(() => error)
        return
      }
      unsynced.splice(unsynced.indexOf(group), 1)
      committed()
      answer((i) => outcomes[i] instanceof NothingToWrite ? undefined : outcomes[i])
      announce(touched, applied.count)
    })
  }

  /** Tells listeners which collections changed and afterApply how many events were installed. */
  function announce (touched: ReadonlySet<string>, count: number): void {
    if (touched.size > 0) for (const listener of listeners) listener(touched)
    if (count > 0) deps.afterApply?.(count, waiting.length > 0)
  }

  /**
   * This peer's role for its next record, and why it may not write database
   * events now, if the ACL says so: its log is admitted and its role is below
   * write. A log whose join is not admitted here yet (its invite record not
   * synced yet) writes on the strength of its invite, judged as a writer
   * (the least role that writes); peers judge it when it arrives.
   */
  async function ownRole (): Promise<{ readonly refusal?: RoleError, readonly role: Role }> {
    const state = await deps.admission.state(await deps.keys.keyring(thread))
    const own = state.members().find((m) => m.log === identity.logId)
    if (own === undefined) return { role: 'write' }
    if (atLeast(own.role, 'write')) return { role: own.role }
    return { role: own.role, refusal: new RoleError(`this member has role ${own.role} in thread ${thread}; writing needs write`) }
  }

  /**
   * Loads the thread's epoch keys and starts the records' verification and
   * decryption at once, before their turn: a batch is verified and opened
   * while the one before it is still being committed. A record sealed with an
   * epoch whose keys are not held is refused with UnknownEpochError, as a
   * follower refuses it; one whose payload does not open is still stored.
   */
  async function prepareRecords (envelopes: readonly RecordEnvelope[]): Promise<PreparedRecords> {
    const keyring = await deps.keys.keyring(thread)
    const verified = await records.verifyMany(thread, envelopes.map((envelope) => ({ ...envelope, keys: keyring })))
    // Decrypting needs no state either, so it is done here too; admission needs the ACL as committed, so it waits for the turn.
    return { keyring, records: verified.map((v) => v instanceof Error ? { verified: v } : { verified: v, payload: recordPayload(v.blocks, v.node, keyring) }) }
  }

  async function runRecords (item: Extract<Queued, { kind: 'records' }>, touched: Set<string>, applied: { count: number }): Promise<void> {
    const { records: prepared, keyring } = await item.prepared
    // The ACL admission evaluated with the batch: it gives each record's role at its seq for the document rule.
    let acl: AclState | undefined
    item.done(await records.commitVerified(thread, prepared.map(({ verified, payload }) => ({
      verified,
      hook: payload === undefined ? undefined : receivedHook(payload, touched, applied, () => acl!)
    })), { admit: async (verified) => await deps.admission.admit(verified, keyring, (state) => { acl = state }) }))
  }

  /** One turn: everything queued, in order, commands grouped into batches. */
  async function turn (): Promise<void> {
    scheduled = false
    const taken = waiting
    waiting = []
    const commands = taken.filter((item) => item.kind === 'command').length
    const groupSize = records.appliesBeforeSync && unsynced.length === 0 ? Math.min(MAX_COMMANDS_PER_TURN, Math.max(MIN_PIPELINED_GROUP, Math.ceil(commands / 2))) : MAX_COMMANDS_PER_TURN
    restage()
    try {
      for (let i = 0; i < taken.length;) {
        const item = taken[i]!
        if (item.kind === 'records') {
          // Received records are committed durable and installed at once: the groups before them are installed first.
          await settled
          restage()
          const touched = new Set<string>()
          const applied = { count: 0 }
          await runRecords(item, touched, applied).catch((error: unknown) => {
            restage()
            item.fail(error)
          })
          announce(touched, applied.count)
          i++
          continue
        }
        const batch: Array<Extract<Queued, { kind: 'command' }>> = []
        while (i < taken.length && taken[i]!.kind === 'command' && batch.length < groupSize) batch.push(taken[i++] as Extract<Queued, { kind: 'command' }>)
        await runCommands(batch).catch((error: unknown) => {
          // The batch's write failed: nothing of it is stored, so nothing of it may stay staged.
          restage()
          for (const c of batch) c.done(error instanceof Error ? error : new Error(String(error)))
        })
      }
    } finally {
      staged = new Map()
    }
  }

  const enqueue = (item: Queued): void => {
    waiting.push(item)
    if (!scheduled) {
      scheduled = true
      void inQueue(turn)
    }
  }

  const dispatcher: Dispatcher = {
    serialize,
    async commit (build) {
      const outcome = await new Promise<BatchOutcome | undefined>((resolve) => enqueue({ kind: 'command', build, done: resolve }))
      if (outcome instanceof Error) throw outcome
      return outcome
    },
    async ingest (envelopes) {
      const prepared = prepareRecords(envelopes)
      // Awaited in its turn, which reports the failure; until then it must not count as unhandled.
      prepared.catch((error: unknown) => { log('preparing received records failed (reported in its turn): %s', (error as Error)?.name) })
      return await new Promise<BatchOutcome[]>((resolve, reject) => enqueue({ kind: 'records', prepared, done: resolve, fail: reject }))
    },
    staged: (coll, id) => staged.get(`${coll}\u0000${id}`),
    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
  return dispatcher
}
