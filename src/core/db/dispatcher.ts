/**
 * The dispatcher: the one path every database event takes, local or from a
 * peer. Commands and received records queue up; each turn takes everything
 * queued (group commit), turns commands into records of this peer's log, and
 * stores all records together with the view rows they change in one atomic
 * storage batch. Only then are the changes installed in memory and subscribers
 * told. Received records are verified as soon as they are queued (the checks
 * that need no state), so one batch is verified while another is committed.
 * A failure leaves log, stored views and in-memory views as they were; a
 * command or record that fails its own checks fails alone.
 */
import type { RandomSource } from '../crypto/random.ts'
import { MalformedRecordError, MissingKeyError, ThreadsError } from '../errors.ts'
import type { LogIdentity } from '../ids/log-id.ts'
import { sealEvent, signRecord } from '../log/create-record.ts'
import { decryptBody, decryptHeader, openEvent } from '../log/open-record.ts'
import type { BatchOutcome, CommitHook, IngestResult, RecordStore } from '../log/record-store.ts'
import type { VerifiedRecord } from '../log/verify-incoming.ts'
import type { KeyBook } from '../storage/key-book.ts'
import type { RawBlock } from '../storage/interfaces.ts'
import type { DocState } from './doc-state.ts'
import { DB_EVENT_VERSION, parseDbEvent, type DbEvent, type Operation } from './events.ts'
import type { ThreadView } from './view.ts'

/** Called after changes are durable and installed, with the collections they touched. */
export type ChangeListener = (collections: ReadonlySet<string>) => void

/** A record received from a peer. */
export interface Envelope {
  readonly log: string
  readonly record: string
  readonly blocks: readonly RawBlock[]
}

/** The dispatcher of one thread. */
export interface Dispatcher {
  /** Runs `task` alone, after everything queued before it. */
  serialize<T>(task: () => Promise<T>): Promise<T>
  /**
   * Queues a command: in its turn `build` sees the current state (including
   * commands committed with it) and returns its operations, written as one
   * event of this peer's log. Resolves once durable; nothing is written when
   * `build` returns no operations or throws.
   */
  commit(build: () => readonly Operation[]): Promise<IngestResult | undefined>
  /** Verifies, stores and applies records received from peers; answers each with its result or typed error. */
  ingest(envelopes: readonly Envelope[]): Promise<BatchOutcome[]>
  /** Decrypts a stored record's database event. */
  decode(blocks: readonly RawBlock[], readKey: Uint8Array): DbEvent
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
type PreparedRecords = ReadonlyArray<{ readonly verified: VerifiedRecord | Error, readonly event?: DbEvent | ThreadsError }>

const MAX_COMMANDS_PER_TURN = 256

/** Wires a thread's record store, keys and view into its dispatcher. */
export function createDispatcher (deps: {
  readonly thread: string
  readonly identity: LogIdentity
  readonly followKey: Uint8Array
  readonly readKey: Uint8Array
  readonly records: RecordStore
  readonly keys: KeyBook
  readonly view: () => ThreadView
  readonly random?: RandomSource
  readonly now?: () => number
  /** Called in the queue after each turn that applied events, with how many, and whether more work is queued already. */
  readonly afterApply?: (events: number, more: boolean) => Promise<void>
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

  const serialize = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task)
    queue = run.then(() => undefined, () => undefined)
    return run
  }

  /** A hook that stages an event's view change and installs it once durable. */
  const viewHook = (eventOf: (blocks: readonly RawBlock[]) => DbEvent, touched: Set<string>, applied: { count: number }): CommitHook =>
    async ({ node, blocks }) => {
      const view = deps.view()
      const event = eventOf(blocks)
      const change = view.compute(event, node.log, node.seq, staged)
      for (const { coll, state } of change.states) staged.set(`${coll}\u0000${state.id}`, state)
      stagedClock = Math.max(stagedClock, change.clock)
      return {
        operations: view.persist(thread, change),
        committed: () => {
          for (const coll of view.apply(change)) touched.add(coll)
          for (const { coll, state } of change.states) deps.applied?.(coll, state.id)
          applied.count++
        }
      }
    }

  async function runCommands (batch: Array<Extract<Queued, { kind: 'command' }>>, touched: Set<string>, applied: { count: number }): Promise<void> {
    const heads = (await records.heads(thread)).filter((h) => h.log !== identity.logId && (covered.get(h.log) ?? 0) < h.seq)
    let firstOfTurn = true
    const items = batch.map((command) => {
      let event: DbEvent | undefined
      return {
        log: identity.logId,
        build: async (prev: { record: string, seq: number } | null) => {
          const ops = command.build()
          if (ops.length === 0) throw new NothingToWrite('no change')
          event = { v: DB_EVENT_VERSION, type: 'db', clock: stagedClock + 1, ops }
          const dependencies = firstOfTurn ? heads.map((h) => ({ log: h.log, record: h.record, kind: 'causal' })) : []
          firstOfTurn = false
          const sealed = sealEvent({ readKey: deps.readKey, payload: event, time: (deps.now ?? Date.now)(), random: deps.random })
          return await signRecord({ thread, identity, followKey: deps.followKey, event: sealed, prev, deps: dependencies, random: deps.random })
        },
        hook: viewHook(() => event!, touched, applied)
      }
    })
    const outcomes = await records.appendOwnMany(thread, items)
    if (!firstOfTurn) for (const h of heads) covered.set(h.log, h.seq)
    batch.forEach((command, i) => command.done(outcomes[i] instanceof NothingToWrite ? undefined : outcomes[i]))
  }

  /**
   * Looks up the keys of the records' logs (once a log) and starts their
   * verification and decryption at once, before their turn: a batch is
   * verified and opened while the one before it is still being committed. A log without a read key fails the
   * whole batch with MissingKeyError.
   */
  async function prepareRecords (envelopes: readonly Envelope[]): Promise<PreparedRecords> {
    const logKeys = new Map<string, { followKey: Uint8Array, readKey: Uint8Array }>()
    for (const { log } of envelopes) {
      if (logKeys.has(log)) continue
      const held = await deps.keys.get(thread, log)
      if (held?.readKey === undefined) throw new MissingKeyError(`no read key is held for log ${log} of thread ${thread}`)
      logKeys.set(log, { followKey: held.followKey, readKey: held.readKey })
    }
    const verified = await records.verifyMany(thread, envelopes.map((envelope) => ({ ...envelope, followKey: logKeys.get(envelope.log)!.followKey })))
    // Decrypting needs no state either; a record whose event does not open is refused in its turn, as before.
    return verified.map((v) => {
      if (v instanceof Error) return { verified: v }
      try {
        return { verified: v, event: dispatcher.decode(v.blocks, logKeys.get(v.node.log)!.readKey) }
      } catch (error) {
        if (!(error instanceof ThreadsError)) throw error
        return { verified: v, event: error }
      }
    })
  }

  async function runRecords (item: Extract<Queued, { kind: 'records' }>, touched: Set<string>, applied: { count: number }): Promise<void> {
    const prepared = await item.prepared
    item.done(await records.commitVerified(thread, prepared.map(({ verified, event }) => ({
      verified,
      hook: viewHook(() => {
        if (event instanceof Error) throw event
        return event!
      }, touched, applied)
    }))))
  }

  /** One turn: everything queued, in order, commands grouped into batches. */
  async function turn (): Promise<void> {
    scheduled = false
    const taken = waiting
    waiting = []
    const touched = new Set<string>()
    const applied = { count: 0 }
    staged = new Map()
    stagedClock = deps.view().clock
    try {
      for (let i = 0; i < taken.length;) {
        const item = taken[i]!
        if (item.kind === 'records') {
          await runRecords(item, touched, applied).catch((error: unknown) => {
            staged = new Map()
            stagedClock = deps.view().clock
            item.fail(error)
          })
          i++
          continue
        }
        const batch: Array<Extract<Queued, { kind: 'command' }>> = []
        while (i < taken.length && taken[i]!.kind === 'command' && batch.length < MAX_COMMANDS_PER_TURN) batch.push(taken[i++] as Extract<Queued, { kind: 'command' }>)
        await runCommands(batch, touched, applied).catch((error: unknown) => {
          // The batch's write failed: nothing of it is stored, so nothing of it may stay staged.
          staged = new Map()
          stagedClock = deps.view().clock
          for (const c of batch) c.done(error instanceof Error ? error : new Error(String(error)))
        })
      }
    } finally {
      staged = new Map()
    }
    if (touched.size > 0) for (const listener of listeners) listener(touched)
    if (applied.count > 0) await deps.afterApply?.(applied.count, waiting.length > 0)
  }

  const enqueue = (item: Queued): void => {
    waiting.push(item)
    if (!scheduled) {
      scheduled = true
      void serialize(turn)
    }
  }

  const dispatcher: Dispatcher = {
    serialize,
    decode (blocks, readKey) {
      const [, event, header, body] = blocks
      if (event === undefined || header === undefined || body === undefined) throw new MalformedRecordError('a record needs its event, header and body blocks')
      openEvent(event)
      return parseDbEvent(decryptBody(body, decryptHeader(header, readKey).key))
    },
    async commit (build) {
      const outcome = await new Promise<BatchOutcome | undefined>((resolve) => enqueue({ kind: 'command', build, done: resolve }))
      if (outcome instanceof Error) throw outcome
      return outcome
    },
    async ingest (envelopes) {
      const prepared = prepareRecords(envelopes)
      prepared.catch(() => {}) // its turn reports the failure
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
