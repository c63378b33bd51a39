/**
 * The dispatcher: the one path every database event takes, local or from a
 * peer. In the thread's queue it stores the event as a record of its log and,
 * in the same atomic storage batch, the view rows the event changes; only then
 * does it install the change in memory and tell subscribers. A failure at any
 * step leaves log, stored views and in-memory views as they were.
 */
import type { RandomSource } from '../crypto/random.ts'
import { MalformedRecordError, MissingKeyError } from '../errors.ts'
import type { LogIdentity } from '../ids/log-id.ts'
import { createLogWriter } from '../log/log-writer.ts'
import { decryptBody, decryptHeader, openEvent } from '../log/open-record.ts'
import type { CommitHook, IngestResult, RecordStore } from '../log/record-store.ts'
import type { KeyBook } from '../storage/key-book.ts'
import type { RawBlock } from '../storage/interfaces.ts'
import { DB_EVENT_VERSION, parseDbEvent, type DbEvent, type Operation } from './events.ts'
import type { ThreadView, ViewChange } from './view.ts'

/** Called after a change is durable and installed, with the collections it touched. */
export type ChangeListener = (collections: ReadonlySet<string>) => void

/** The dispatcher of one thread. */
export interface Dispatcher {
  /** Runs `task` after every earlier command and ingest of this thread. */
  serialize<T>(task: () => Promise<T>): Promise<T>
  /**
   * Runs `build` in the queue, where it sees the current view, and writes the
   * operations it returns as one event of this peer's log (one atomic batch).
   * Nothing is written when it returns none or throws.
   */
  commit(build: () => readonly Operation[]): Promise<IngestResult | undefined>
  /** Verifies, stores and applies a record received from a peer. */
  ingest(input: { log: string, record: string, blocks: readonly RawBlock[] }): Promise<IngestResult>
  /** Applies an already stored record to the view without storing anything (rebuilds). */
  decode(blocks: readonly RawBlock[], readKey: Uint8Array): DbEvent
  onChange(listener: ChangeListener): () => void
}

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
  /** Called in the queue after each applied event (snapshots). */
  readonly afterApply?: () => Promise<void>
}): Dispatcher {
  const { thread, records } = deps
  const writer = createLogWriter({ thread, identity: deps.identity, followKey: deps.followKey, readKey: deps.readKey, store: records, random: deps.random, now: deps.now })
  const listeners = new Set<ChangeListener>()
  /** Heads of other logs our log already depends on (directly or through prev). */
  const covered = new Map<string, number>()
  let queue: Promise<unknown> = Promise.resolve()

  const serialize = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task)
    queue = run.then(() => undefined, () => undefined)
    return run
  }

  /** A hook that derives the view change of an event and installs it once durable. */
  const viewHook = (eventOf: (blocks: readonly RawBlock[]) => DbEvent): { hook: CommitHook, applied: () => Set<string> | undefined } => {
    let touched: Set<string> | undefined
    return {
      hook: async ({ node, blocks }) => {
        const view = deps.view()
        const change: ViewChange = view.compute(eventOf(blocks), node.log, node.seq)
        return { operations: view.persist(thread, change), committed: () => { touched = view.apply(change) } }
      },
      applied: () => touched
    }
  }

  const finish = async (result: IngestResult, touched: Set<string> | undefined): Promise<IngestResult> => {
    if (touched !== undefined) {
      for (const listener of listeners) listener(touched)
      await deps.afterApply?.()
    }
    return result
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
      return await serialize(async () => {
        const ops = build()
        if (ops.length === 0) return undefined
        const event: DbEvent = { v: DB_EVENT_VERSION, type: 'db', clock: deps.view().clock + 1, ops }
        const heads = (await records.heads(thread)).filter((h) => h.log !== deps.identity.logId && (covered.get(h.log) ?? 0) < h.seq)
        const { hook, applied } = viewHook(() => event)
        const result = await writer.append(event, { deps: heads.map((h) => ({ log: h.log, record: h.record, kind: 'causal' })), hook })
        for (const h of heads) covered.set(h.log, h.seq)
        return await finish(result, applied())
      })
    },
    async ingest ({ log, record, blocks }) {
      return await serialize(async () => {
        const keys = await deps.keys.get(thread, log)
        if (keys?.readKey === undefined) throw new MissingKeyError(`no read key is held for log ${log} of thread ${thread}`)
        const readKey = keys.readKey
        const { hook, applied } = viewHook((verified) => dispatcher.decode(verified, readKey))
        const result = await records.ingest({ thread, log, followKey: keys.followKey, record, blocks }, { hook })
        return await finish(result, applied())
      })
    },
    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
  return dispatcher
}
