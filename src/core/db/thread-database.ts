/**
 * One thread's database: its view (loaded from storage), its dispatcher, and
 * the API app developers use: collections, a key-value store, transactions,
 * live queries, peer ingest, the skip report, snapshots and rebuilds.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import type { RandomSource } from '../crypto/random.ts'
import { parseLogId, type LogIdentity } from '../ids/log-id.ts'
import type { BatchOutcome, IngestResult, LogHead, RecordStore } from '../log/record-store.ts'
import type { BatchOperation, RawBlock, StorageBackend, StoreCallOptions } from '../storage/interfaces.ts'
import type { KeyBook } from '../storage/key-book.ts'
import { createAddressBook } from '../storage/address-book.ts'
import { getValue, listValues } from '../storage/meta-values.ts'
import { createCollection, type Collection, type CollectionOptions, type CommandContext } from './collection.ts'
import { createDispatcher, openPayload, receivedChange } from './dispatcher.ts'
import { applyOperation, emptyDocState, pendingVersion, type Doc, type DocState } from './doc-state.ts'
import type { Operation } from './events.ts'
import { createKeyValue, type KeyValue } from './key-value.ts'
import type { Filter, FindOptions } from './query.ts'
import { runQuery } from './query.ts'
import { compileSchema } from './schema.ts'
import { listSkippedRecords, viewReports, replaceSkippedRecords, type Skipped, type SkippedRecord } from './skipped.ts'
import { MissingKeyError, StoreClosedError } from '../errors.ts'
import { createFollowRequest } from '../sync/follow-request.ts'
import { createJoinAnnouncement, openJoinAnnouncement, type Invite, type JoinAnnouncement } from '../sync/invite.ts'
import { createSnapshotTracker, loadSnapshot } from './snapshots.ts'
import { clockKey, createThreadView, stagedKey, type ThreadView } from './view.ts'

/** How long the database must have nothing to apply before a due snapshot is written. */
const SNAPSHOT_IDLE_MS = 500
/** How many times `snapshotEvery` events a snapshot may wait for the database to be idle. */
const SNAPSHOT_DEFER = 64

/** Records read and verified in parallel during a replay. */
const REPLAY_WINDOW = 256

/** Keys that let another replica read and verify one log. */
export interface LogGrant {
  readonly log: string
  readonly followKey: Uint8Array
  readonly readKey: Uint8Array
}

/** A record as exchanged between replicas. */
export interface RecordEnvelope {
  readonly log: string
  readonly record: string
  readonly blocks: readonly RawBlock[]
}

/** Commands of a transaction: staged, then written as one event. */
export interface Transaction {
  collection(name: string, options?: CollectionOptions): Collection
  readonly kv: KeyValue
}

/** The database of one thread. */
export interface ThreadDatabase {
  readonly id: string
  readonly logId: string
  collection(name: string, options?: CollectionOptions): Collection
  readonly kv: KeyValue
  /** Runs `fn`; every command it makes is written as one atomic event, or none if it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T>
  /** A live query: `listener` gets the first result, then each changed result. */
  subscribe(collection: string, filter: Filter, options: FindOptions, listener: (docs: Doc[]) => void): () => void
  /**
   * Verifies, stores and applies a peer's record; one the log layer refuses
   * throws its typed error. One it accepts is stored even when its payload
   * cannot be applied (see `skipped`).
   */
  ingest(envelope: RecordEnvelope): Promise<IngestResult>
  /** `ingest` for a batch, as one write; answers each record with its result or typed error. */
  ingestMany(envelopes: readonly RecordEnvelope[]): Promise<BatchOutcome[]>
  /** Adds the keys of another writer's log. */
  addLog(grant: LogGrant): Promise<void>
  /** This replica's own log and its keys, to grant to other members. */
  ownGrant(): LogGrant
  heads(): Promise<LogHead[]>
  /** This peer's key set sealed for the members, to send to followers after joining through an invite. */
  joinAnnouncement(): Promise<JoinAnnouncement>
  /** Opens join announcements this peer can read and adds the logs they announce; returns how many were new. */
  learn(announcements: readonly JoinAnnouncement[]): Promise<number>
  /** An invite to this thread: every log's key set, and where to sync (by default, the addresses known for this peer's log). */
  invite(addrs?: readonly string[]): Promise<Invite>
  /** Notes where a log can be fetched (e.g. a follower that follows it) for `ttlMs`. */
  addAddresses(log: string, addrs: readonly string[], ttlMs: number): Promise<void>
  /** Unexpired addresses of a log. */
  addresses(log: string): Promise<string[]>
  /** A request, signed by this peer's log, that a follower keep every log of this thread (follow keys only). */
  followRequest(): Promise<Awaited<ReturnType<typeof createFollowRequest>>>
  /** Every stored record of every log, oldest first per log. */
  exportRecords(): Promise<RecordEnvelope[]>
  /**
   * What this replica holds but keeps out of its views, and why: records whose
   * payload is not a database event it can apply (by log, then position), then
   * documents whose merged state breaks their collection's schema (by
   * collection, then ID). Replicas holding the same records and declaring the
   * same schemas report the same.
   */
  skipped(): Promise<Skipped[]>
  /** Writes a snapshot of the view now. */
  snapshot(): Promise<void>
  /**
   * Rebuilds the view from the log alone, or from the snapshot plus the
   * records after it, then writes it in place of the stored view. Says how
   * long each part took (building the view in memory, and writing it).
   */
  rebuild(from: 'log' | 'snapshot', options?: StoreCallOptions): Promise<{ restoreMs: number, writeMs: number }>
  /** Every visible document by collection (stable order). */
  dump(): Record<string, Doc[]>
}

/** Loads a thread's view from storage and wires its database. */
export async function openThreadDatabase (deps: {
  readonly thread: string
  readonly backend: StorageBackend
  readonly records: RecordStore
  readonly keys: KeyBook
  readonly identity: LogIdentity
  readonly followKey: Uint8Array
  readonly readKey: Uint8Array
  readonly random?: RandomSource
  readonly now?: () => number
  readonly snapshotEvery?: number
}): Promise<ThreadDatabase> {
  const { thread, backend, records, keys } = deps
  const meta = backend.meta
  const addressBook = createAddressBook(meta, deps.now)
  const snapshotEvery = deps.snapshotEvery ?? 1000
  const viewPrefix = `view/${thread}/`
  let view = await loadView()
  let tracker = createSnapshotTracker(view)
  const declared = new Map<string, CollectionOptions>()
  const subscriptions = new Set<{ collection: string, rerun: () => void }>()
  let snapshotTimer: ReturnType<typeof setTimeout> | undefined

  async function loadView (): Promise<ThreadView> {
    const states: Array<{ coll: string, state: DocState }> = []
    for await (const [key, state] of listValues<DocState>(meta, viewPrefix)) {
      states.push({ coll: decodeURIComponent(key.slice(viewPrefix.length).split('/')[0]!), state })
    }
    return createThreadView({ clock: await getValue<number>(meta, clockKey(thread)) ?? 0, states })
  }

  const dispatcher = createDispatcher({
    ...deps,
    view: () => view,
    afterApply: async (events) => {
      tracker.countApplied(events)
      if (tracker.pending < snapshotEvery) return
      // A snapshot only speeds up reopening (every view row is already stored), and while records keep
      // coming (a sync catching up, a burst of writes) it would be stale at once and most of its chunks
      // rewritten soon after. So it is written once the database has been idle for a moment, or after
      // SNAPSHOT_DEFER × snapshotEvery events of continuous work.
      clearTimeout(snapshotTimer)
      if (tracker.pending >= SNAPSHOT_DEFER * snapshotEvery) {
        await writeSnapshot()
        return
      }
      snapshotTimer = setTimeout(() => {
        void dispatcher.serialize(async () => { if (tracker.pending >= snapshotEvery) await writeSnapshot() })
          .catch((error: unknown) => {
            // The database was closed before it was idle long enough: nothing is lost but the shortcut.
            if (!(error instanceof StoreClosedError)) throw error
          })
      }, SNAPSHOT_IDLE_MS)
    },
    applied: (coll, id) => { tracker.touch(coll, id) }
  })
  dispatcher.onChange((touched) => {
    for (const sub of subscriptions) if (touched.has(sub.collection)) sub.rerun()
  })

  async function vector (): Promise<Record<string, number>> {
    return Object.fromEntries((await records.heads(thread)).map((h) => [h.log, h.seq]))
  }
  async function writeSnapshot (): Promise<void> {
    await tracker.save(meta, thread, view, await vector())
  }

  const textClientId = new DataView(sha256(utf8ToBytes(deps.identity.logId)).buffer).getUint32(0)
  const direct: CommandContext = {
    read: (coll, id) => dispatcher.staged(coll, id) ?? view.collections.get(coll)?.states.get(id),
    staged: () => 0,
    submit: async (build) => { await dispatcher.commit(build) },
    textClientId,
    random: deps.random
  }
  const makeCollection = (context: CommandContext) => (name: string, options?: CollectionOptions): Collection => {
    const definition = options ?? declared.get(name) ?? {}
    if (options !== undefined) declared.set(name, options)
    return createCollection(name, definition, () => view.collection(name), context)
  }

  /** Applies every record after `after` to `target`, as ingest did; returns the reports of those skipped. */
  async function replay (target: ThreadView, after: Readonly<Record<string, number>>): Promise<SkippedRecord[]> {
    const skipped: SkippedRecord[] = []
    for (const { log, keys: logKeys } of await keys.logs(thread)) {
      const head = await records.head(thread, log)
      // Records are read and re-verified a window at a time, in parallel, then applied in order.
      for (let from = (after[log] ?? 0) + 1; head !== undefined && from <= head.seq; from += REPLAY_WINDOW) {
        const seqs = Array.from({ length: Math.min(REPLAY_WINDOW, head.seq - from + 1) }, (_, i) => from + i)
        const window = await Promise.all(seqs.map(async (seq) => {
          const record = (await records.recordAt(thread, log, seq))!
          return { record, blocks: await records.recordBlocks(record, logKeys.followKey) }
        }))
        window.forEach(({ record, blocks }, i) => {
          const outcome = receivedChange(target, openPayload(blocks, logKeys.readKey, log), { record, log, seq: seqs[i]! })
          if ('kind' in outcome) skipped.push(outcome)
          else target.apply(outcome)
        })
      }
    }
    return skipped
  }

  const db: ThreadDatabase = {
    id: thread,
    logId: deps.identity.logId,
    collection: makeCollection(direct),
    kv: createKeyValue(makeCollection(direct)),
    async transaction (fn) {
      const staged: Operation[] = []
      const overlay = new Map<string, DocState>()
      const read = (coll: string, id: string): DocState | undefined => overlay.get(stagedKey(coll, id)) ?? direct.read(coll, id)
      const context: CommandContext = {
        read,
        staged: () => staged.length,
        submit: async (build) => {
          // Each command saw (and checked against) the states after every operation staged before it, at these versions.
          for (const op of build()) {
            const key = stagedKey(op.coll, op.id)
            overlay.set(key, applyOperation(read(op.coll, op.id) ?? emptyDocState(op.id), op, pendingVersion(staged.length)))
            staged.push(op)
          }
        },
        textClientId,
        random: deps.random
      }
      const tx: Transaction = { collection: makeCollection(context), kv: createKeyValue(makeCollection(context)) }
      const result = await fn(tx)
      if (staged.length > 0) await dispatcher.commit(() => staged)
      return result
    },
    subscribe (collection, filter, options, listener) {
      let last: Doc[] | undefined
      const sub = {
        collection,
        rerun: () => {
          const docs = runQuery(view.collection(collection), filter, options).docs
          if (last !== undefined && docs.length === last.length && docs.every((d, i) => d === last![i])) return
          last = docs
          listener(docs)
        }
      }
      subscriptions.add(sub)
      queueMicrotask(sub.rerun)
      return () => { subscriptions.delete(sub) }
    },
    async ingest (envelope) {
      const [outcome] = await dispatcher.ingest([envelope])
      if (outcome instanceof Error) throw outcome
      return outcome!
    },
    ingestMany: async (envelopes) => await dispatcher.ingest(envelopes),
    async addLog (grant) {
      parseLogId(grant.log)
      await keys.put(thread, grant.log, { followKey: grant.followKey, readKey: grant.readKey })
    },
    ownGrant: () => ({ log: deps.identity.logId, followKey: deps.followKey, readKey: deps.readKey }),
    heads: async () => await records.heads(thread),
    async joinAnnouncement () {
      const via = await getValue<string>(meta, `invited-via/${thread}`)
      const viaKeys = via === undefined ? undefined : await keys.get(thread, via)
      if (via === undefined || viaKeys?.readKey === undefined) throw new MissingKeyError(`this peer did not join thread ${thread} through an invite`)
      return await createJoinAnnouncement(thread, deps.identity, db.ownGrant(), { log: via, followKey: viaKeys.followKey, readKey: viaKeys.readKey })
    },
    async learn (announcements) {
      let added = 0
      for (const a of announcements) {
        if (await keys.get(thread, a.log) !== undefined) continue
        const via = await keys.get(thread, a.via)
        if (via?.readKey === undefined) continue
        const keySet = await openJoinAnnouncement(thread, a, via.readKey)
        await keys.put(thread, keySet.log, { followKey: keySet.followKey, readKey: keySet.readKey })
        added++
      }
      return added
    },
    addAddresses: async (log, addrs, ttlMs) => { await addressBook.add(thread, log, addrs, ttlMs) },
    addresses: async (log) => (await addressBook.get(thread, log)).map((a) => a.addr),
    async invite (given) {
      const addrs = given ?? (await addressBook.get(thread, deps.identity.logId)).map((a) => a.addr)
      const logs = (await keys.logs(thread)).flatMap(({ log, keys: k }) => k.readKey === undefined ? [] : [{ log, followKey: k.followKey, readKey: k.readKey }])
      // The inviting log goes first: joiners seal their announcement with its read key.
      logs.sort((a, b) => (a.log === deps.identity.logId ? -1 : b.log === deps.identity.logId ? 1 : 0))
      return { thread, addrs, logs }
    },
    followRequest: async () => await createFollowRequest(thread, (await keys.logs(thread)).map(({ log, keys: k }) => ({ log, followKey: k.followKey })), deps.identity),
    async exportRecords () {
      const out: RecordEnvelope[] = []
      for (const { log, keys: logKeys } of await keys.logs(thread)) {
        const head = await records.head(thread, log)
        for (let seq = 1; head !== undefined && seq <= head.seq; seq++) {
          const record = (await records.recordAt(thread, log, seq))!
          out.push({ log, record, blocks: await records.recordBlocks(record, logKeys.followKey, { thread }) })
        }
      }
      return out
    },
    async skipped () {
      return await dispatcher.serialize(async () => {
        const fromView = await Promise.all(viewReports(view).map(async (entry): Promise<Skipped> => {
          const [, log, seq] = entry.kind === 'document' ? entry.blamed : entry.created
          const at = { collection: entry.collection, id: entry.id, record: (await records.recordAt(thread, log, seq))!, log, seq }
          return entry.kind === 'document'
            ? { kind: 'document', ...at, reason: 'SchemaValidationError', message: entry.error.message, problems: entry.error.problems }
            : { kind: 'create', ...at, reason: 'DocumentExistsError', message: `a later concurrent create of "${entry.id}" shows instead; this create and every write to it do not` }
        }))
        return [...await listSkippedRecords(meta, thread), ...fromView]
      })
    },
    snapshot: async () => { await dispatcher.serialize(async () => { await tracker.save(meta, thread, view, await vector(), { full: true }) }) },
    async rebuild (from, options = {}) {
      return await dispatcher.serialize(async () => {
        let started = performance.now()
        const snapshot = from === 'snapshot' ? await loadSnapshot(meta, thread) : undefined
        const target = createThreadView({ clock: snapshot?.clock ?? 0, states: snapshot?.states.map(([coll, state]) => ({ coll, state })) })
        const after = snapshot?.vector ?? {}
        const skipped = await replay(target, after)
        for (const [name, definition] of declared) {
          target.collection(name).setSchema(definition.schema === undefined ? undefined : compileSchema(definition.schema))
          for (const field of definition.indexes ?? []) target.collection(name).ensureIndex(field)
        }
        const restoreMs = performance.now() - started
        started = performance.now()
        const operations: BatchOperation[] = []
        for await (const [key] of meta.list(viewPrefix)) operations.push({ type: 'delete', key })
        const rows = target.persist(thread, { clock: target.clock, states: [...target.collections].flatMap(([coll, c]) => [...c.states.values()].map((state) => ({ coll, state }))) })
        await meta.batch([...operations, ...rows, ...await replaceSkippedRecords(meta, thread, after, skipped)], options)
        view = target
        tracker = createSnapshotTracker(view)
        for (const sub of subscriptions) sub.rerun()
        return { restoreMs, writeMs: performance.now() - started }
      })
    },
    dump: () => view.dump()
  }
  return db
}
