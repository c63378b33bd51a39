/**
 * One thread's database: its view (loaded from storage), its dispatcher, and
 * the API app developers use: collections, a key-value store, transactions,
 * live queries, peer ingest, the skip report, snapshots and rebuilds.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import type { SignerFactory } from '../crypto/ed25519.ts'
import type { Sha256 } from '../log/blocks.ts'
import type { RandomSource } from '../crypto/random.ts'
import { logIdentityFromSeed } from '../ids/log-id.ts'
import type { BatchOutcome, IngestResult, LogHead, RecordStore } from '../log/record-store.ts'
import type { BatchOperation, RawBlock, StorageBackend, StoreCallOptions } from '../storage/interfaces.ts'
import type { HeldEpoch, KeyBook, MemberSecrets } from '../storage/key-book.ts'
import { createAddressBook } from '../storage/address-book.ts'
import { getValue, listValues } from '../storage/meta-values.ts'
import { createCollection, type Collection, type CollectionOptions, type CommandContext } from './collection.ts'
import { ACL_EVENT, createDispatcher, receivedChange, recordPayload } from './dispatcher.ts'
import { applyOperation, emptyDocState, pendingVersion, type Doc, type DocState } from './doc-state.ts'
import type { Operation } from './events.ts'
import { createKeyValue, type KeyValue } from './key-value.ts'
import type { Filter, FindOptions } from './query.ts'
import { runQuery } from './query.ts'
import { compileSchema } from './schema.ts'
import { listSkippedRecords, viewReports, replaceSkippedRecords, skippedRecord, type Skipped, type SkippedRecord } from './skipped.ts'
import { MissingKeyError, NotAMemberError, RoleError, StoreClosedError } from '../errors.ts'
import { atLeast } from '../acl/roles.ts'
import { parseAclBody } from '../acl/codec.ts'
import type { AclBody, AclChange } from '../acl/types.ts'
import { headerKeyOf, sealEvent, signRecord } from '../log/create-record.ts'
import { createKeyring } from '../log/keyring.ts'
import { createAdmission } from '../log/admission.ts'
import { changesAppliedWrites } from './admission-changes.ts'
import { createMembers, learnEpochs, requireAdmin, type Members } from './members.ts'
import { openRecordUnsigned } from '../log/open-record.ts'
import type { Dependency } from '../log/record-format.ts'
import { createFollowRequest } from '../sync/follow-request.ts'
import { createInviteChange, roleReads, type Invite, type InviteOptions } from '../sync/invite.ts'
import { readHistory, type HistoryCache, type HistoryEntry } from './history.ts'
import { createSnapshotTracker, loadSnapshot } from './snapshots.ts'
import { openPublishedSnapshot, type OpenedSnapshot, type SnapshotBundle } from './published-snapshot.ts'
import { checkAdoptedSnapshot, distrustedPublishers, rememberAdopted, snapshotOfView, type SnapshotCheck } from './snapshot-check.ts'
import { clockKey, createThreadView, stagedKey, type ThreadView } from './view.ts'
import type { RecordEnvelope } from '../log/record-envelope.ts'
import { createLogger } from '../logger.ts'

const log = createLogger('db:thread-database')

export type { RecordEnvelope }

/** How long the database must have nothing to apply before a due snapshot is written. */
const SNAPSHOT_IDLE_MS = 500
/** How many times `snapshotEvery` events a snapshot may wait for the database to be idle. */
const SNAPSHOT_DEFER = 64

/** Records read and verified in parallel during a replay. */
const REPLAY_WINDOW = 256


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
  heads(): Promise<LogHead[]>
  /**
   * Invites someone: writes an `invite` ACL event to this peer's log (this
   * peer must be an admin for members to accept it) and returns what the link
   * carries: the thread, the keys of every epoch held that the role needs,
   * the invite's secret key, and where to sync (by default, the addresses
   * known for this peer's log).
   */
  invite(options: InviteOptions): Promise<Invite>
  /** Who is in the thread and with which role; invites, role changes, removal (with key rotation), leaving, names. */
  readonly members: Members
  /** Appends an ACL event with these changes to this peer's log, sealed with the current epoch (or `epoch`, one held). */
  writeAcl(changes: readonly AclChange[], options?: { readonly deps?: readonly Dependency[], readonly epoch?: HeldEpoch }): Promise<IngestResult>
  /** Notes where a log can be fetched (e.g. a follower that follows it) for `ttlMs`. */
  addAddresses(log: string, addrs: readonly string[], ttlMs: number): Promise<void>
  /** Unexpired addresses of a log. */
  addresses(log: string): Promise<string[]>
  /**
   * A request, signed by this peer's log, that a follower keep this thread: follow keys only, and this log's first
   * record (the owner's genesis, or a join). With `epochs`, only the keys of the first that many epochs held (in
   * epoch order): a follower takes a key only once it holds the rotation that commits it, so after several
   * rotations a member hands them over one at a time.
   */
  followRequest(options?: { readonly epochs?: number }): Promise<Awaited<ReturnType<typeof createFollowRequest>>>
  /** How many epochs' keys are held: a follow request carries that many (cheap: nothing is signed or read but the keys). */
  heldEpochs(): Promise<number>
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
  /** The newest records of each log, summarised, for an activity list or a picture of the logs (history.ts). */
  history(options?: { readonly perLog?: number }): Promise<HistoryEntry[]>
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
  /**
   * A snapshot of the view to share with members who join later
   * (published-snapshot.ts), signed by this peer's log, which must be a writer;
   * SnapshotTooLargeError past its size limit. `thumbs` names the thumbnail
   * pack blocks made of the view's photos (media/thumbnail-pack.ts), if any.
   */
  publishSnapshot(options?: { readonly thumbs?: readonly string[] }): Promise<SnapshotBundle>
  /** Logs whose published snapshots this peer no longer uses (one of theirs lied). */
  distrustedPublishers(): Promise<Set<string>>
  /**
   * Opens a published snapshot a peer served (published-snapshot.ts: checked
   * against this thread's keys, the ACL it carries and the thread's `heads` as
   * that peer reports them; a refusal throws its named error) and, when the
   * view holds no document yet (a join), shows it as this thread's view.
   * Returns it, or undefined when the view was not empty. Records applied
   * later change nothing it already holds; `checkSnapshot` then verifies it
   * against them.
   */
  adoptSnapshot(bundle: SnapshotBundle, heads: ReadonlyArray<{ readonly log: string, readonly seq: number }> | Promise<ReadonlyArray<{ readonly log: string, readonly seq: number }>>): Promise<OpenedSnapshot | undefined>
  /**
   * Checks the adopted snapshot, if any, against the records it covers once
   * they are all held (snapshot-check.ts): on a mismatch its publisher is
   * distrusted and the view rebuilt from the records.
   */
  checkSnapshot(): Promise<SnapshotCheck>
}

/** Loads a thread's view from storage and wires its database. */
export async function openThreadDatabase (deps: {
  readonly thread: string
  readonly backend: StorageBackend
  readonly records: RecordStore
  readonly keys: KeyBook
  /** This peer's identity in the thread (its log key and X25519 key). */
  readonly self: MemberSecrets
  readonly random?: RandomSource
  readonly now?: () => number
  readonly snapshotEvery?: number
  /** Makes this peer's log signer (see DatabaseOptions.signer). */
  readonly signer?: SignerFactory
  /** Hashes the blocks of this peer's records (see DatabaseOptions.sha256). */
  readonly sha256?: Sha256
}): Promise<ThreadDatabase> {
  const { thread, backend, records, keys } = deps
  /** Summaries of records read for the history, each opened once (history.ts). */
  const historyCache: HistoryCache = new Map()
  const identity = logIdentityFromSeed(deps.self.identitySeed, deps.signer)
  const meta = backend.meta
  let epoch = await currentEpoch()
  const admission = createAdmission({ thread, records })

  /** The newest epoch held: new records are sealed with it (a database event also needs its read key). */
  async function currentEpoch (): Promise<HeldEpoch> {
    const held = await keys.epochs(thread)
    if (held.length === 0) throw new MissingKeyError(`no key of thread ${thread} is held`)
    return held[held.length - 1]!
  }
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
    identity,
    epoch: () => epoch,
    admission,
    view: () => view,
    afterApply: (events) => {
      tracker.countApplied(events)
      if (tracker.pending < snapshotEvery) return
      // A snapshot only speeds up reopening (every view row is already stored), and while records keep
      // coming (a sync catching up, a burst of writes) it would be stale at once and most of its chunks
      // rewritten soon after. So it is written once the database has been idle for a moment, or after
      // SNAPSHOT_DEFER × snapshotEvery events of continuous work. It is written in the dispatcher's
      // queue, where the view holds every record the log does.
      clearTimeout(snapshotTimer)
      if (tracker.pending >= SNAPSHOT_DEFER * snapshotEvery) {
        writeSnapshotInQueue()
        return
      }
      snapshotTimer = setTimeout(writeSnapshotInQueue, SNAPSHOT_IDLE_MS)
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
  /** Whether a snapshot is queued already (a burst would otherwise queue one per group of events). */
  let snapshotQueued = false
  function writeSnapshotInQueue (): void {
    if (snapshotQueued) return
    snapshotQueued = true
    void dispatcher.serialize(async () => {
      snapshotQueued = false
      if (tracker.pending >= snapshotEvery) await writeSnapshot()
    }).catch((error: unknown) => {
      // The database was closed before the snapshot's turn: nothing is lost but the shortcut.
      if (!(error instanceof StoreClosedError)) throw error
    })
  }

  const textClientId = new DataView(sha256(utf8ToBytes(identity.logId)).buffer).getUint32(0)
  const direct: CommandContext = {
    read: (coll, id) => dispatcher.staged(coll, id) ?? view.collections.get(coll)?.states.get(id),
    staged: () => 0,
    submit: async (build) => { await dispatcher.commit(build) },
    textClientId,
    log: identity.logId,
    random: deps.random
  }
  const makeCollection = (context: CommandContext) => (name: string, options?: CollectionOptions): Collection => {
    const definition = options ?? declared.get(name) ?? {}
    if (options !== undefined) declared.set(name, options)
    return createCollection(name, definition, () => view.collection(name), context)
  }

  /**
   * Applies every record after `after` to `target`, as ingest did; returns the
   * reports of those skipped. A database event the ACL as held now does not
   * admit (its log was lowered below write from an earlier seq after it was
   * applied) is skipped with the error ingest would give it now.
   */
  async function replay (target: ThreadView, after: Readonly<Record<string, number>>): Promise<SkippedRecord[]> {
    const skipped: SkippedRecord[] = []
    const keyring = await keys.keyring(thread)
    const acl = await admission.state(keyring)
    for (const head of await records.heads(thread)) {
      const { log } = head
      // Records are read and re-verified a window at a time, in parallel, then applied in order.
      for (let from = (after[log] ?? 0) + 1; from <= head.seq; from += REPLAY_WINDOW) {
        const seqs = Array.from({ length: Math.min(REPLAY_WINDOW, head.seq - from + 1) }, (_, i) => from + i)
        const window = await Promise.all(seqs.map(async (seq) => {
          const record = (await records.recordAt(thread, log, seq))!
          const blocks = await records.recordBlocks(record, keyring)
          return { record, blocks, node: openRecordUnsigned(blocks[0]!, keyring) }
        }))
        window.forEach(({ record, blocks, node }, i) => {
          const payload = recordPayload(blocks, node, keyring)
          if (payload === ACL_EVENT) return
          const role = acl.roleAt(log, node.seq)
          if (!atLeast(role, 'write')) {
            skipped.push(skippedRecord(record, log, node.seq, role === 'none'
              ? new NotAMemberError(`log ${log} is not a member of thread ${thread} at seq ${node.seq}`)
              : new RoleError(`log ${log} has role ${role} at seq ${node.seq}; writing data needs write`)))
            return
          }
          const outcome = receivedChange(target, payload, { record, log, seq: seqs[i]!, role })
          if ('kind' in outcome) skipped.push(outcome)
          else target.apply(outcome)
        })
      }
    }
    return skipped
  }

  /** Gives `target` the schemas and indexes the app declared. */
  function declare (target: ThreadView): void {
    for (const [name, definition] of declared) {
      target.collection(name).setSchema(definition.schema === undefined ? undefined : compileSchema(definition.schema))
      for (const field of definition.indexes ?? []) target.collection(name).ensureIndex(field)
    }
  }

  /** Stores `target` in place of the stored view, with `extra` writes in the same batch. */
  async function storeView (target: ThreadView, extra: readonly BatchOperation[], options?: StoreCallOptions): Promise<void> {
    const operations: BatchOperation[] = []
    for await (const [key] of meta.list(viewPrefix)) operations.push({ type: 'delete', key })
    const rows = target.persist(thread, { clock: target.clock, states: [...target.collections].flatMap(([coll, c]) => [...c.states.values()].map((state) => ({ coll, state }))) })
    await meta.batch([...operations, ...rows, ...extra], options)
  }

  /** Makes `target` the view shown. */
  function showView (target: ThreadView): void {
    view = target
    tracker = createSnapshotTracker(view)
    for (const sub of subscriptions) sub.rerun()
  }

  /** Stores `target` in place of the view (with `extra` writes in the same batch), then shows it. */
  async function installView (target: ThreadView, extra: readonly BatchOperation[], options?: StoreCallOptions): Promise<void> {
    await storeView(target, extra, options)
    showView(target)
  }

  /** Appends an ACL event to this peer's log, sealed with the current epoch (its header with the follow key). */
  async function writeAcl (changes: readonly AclChange[], options: { readonly deps?: readonly Dependency[], readonly epoch?: HeldEpoch } = {}): Promise<IngestResult> {
    // Checked as every replica will check it: a malformed body is refused here, not written.
    const body: AclBody = parseAclBody({ v: 3, changes })
    // Past a member's quota of ACL events every replica refuses the record: refused here, in words, before it is written.
    const quota = await admission.aclQuotaRefusal(identity.logId, ((await records.head(thread, identity.logId))?.seq ?? 0) + 1, await keys.keyring(thread))
    if (quota !== undefined) throw quota
    const sealing = options.epoch ?? epoch
    const event = sealEvent({ headerKey: headerKeyOf(sealing, 'acl'), payload: body, time: (deps.now ?? Date.now)(), random: deps.random, sha256: deps.sha256 })
    const written = await records.appendOwn(thread, identity.logId, async (prev) => await signRecord({
      thread, identity, epoch: sealing, kind: 'acl', event, prev: prev === null ? null : { record: prev.record, seq: prev.seq }, deps: options.deps, random: deps.random, sha256: deps.sha256
    }))
    // A role set from before a member's records applied here judges them anew, here as on every replica that receives it.
    if (changes.some((c) => c.type === 'role') && await changesAppliedWrites({ thread, records, keyring: await keys.keyring(thread), admission, outcomes: [written] })) await db.rebuild('log')
    return written
  }

  // The record that opens this peer's log (its genesis or join) is written as soon as the thread opens,
  // so a crash between making the identity and writing it loses nothing.
  if (deps.self.first !== undefined && await records.head(thread, identity.logId) === undefined) {
    await writeAcl(deps.self.first.changes, { deps: deps.self.first.deps })
  }

  const members: Members = createMembers({
    thread,
    self: deps.self,
    records,
    keys,
    admission,
    writeAcl,
    invite: async (options) => {
      const invite = await db.invite(options)
      await members.refresh()
      return invite
    },
    epochsChanged: async () => { epoch = await currentEpoch() },
    random: deps.random,
    now: deps.now
  })

  const db: ThreadDatabase = {
    id: thread,
    logId: identity.logId,
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
        log: identity.logId,
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
      const [outcome] = await db.ingestMany([envelope])
      if (outcome instanceof Error) throw outcome
      return outcome!
    },
    async ingestMany (envelopes) {
      const outcomes = await dispatcher.ingest(envelopes)
      // A stored ACL event may carry keys of a new epoch sealed to this member: then the records of
      // the batch sealed with it, refused a moment ago as of an unknown epoch, are taken now.
      if (!outcomes.some((o) => !(o instanceof Error) && o.status === 'stored' && o.node.kind === 'acl')) return outcomes
      // A member's role set from a seq before records of its log already applied here: those are judged anew.
      if (await changesAppliedWrites({ thread, records, keyring: await keys.keyring(thread), admission, outcomes })) await db.rebuild('log')
      await members.refresh()
      // Each round may store a rotate sealed with the epoch just learnt, whose share opens the next one
      // (a joiner catching up through rotations its link predates); each round adds an epoch, so it ends.
      while (await learnEpochs({ thread, self: deps.self, keys, admission }) > 0) {
        epoch = await currentEpoch()
        const again = outcomes.flatMap((o, i) => o instanceof Error && o.name === 'UnknownEpochError' ? [i] : [])
        if (again.length === 0) break
        const retried = await dispatcher.ingest(again.map((i) => envelopes[i]!))
        again.forEach((i, j) => { outcomes[i] = retried[j]! })
      }
      // A member left: an admin's database rotates the keys, so the leaver opens nothing written from now on.
      await members.rotateAfterLeaves()
      return outcomes
    },
    heads: async () => await records.heads(thread),
    writeAcl,
    get members () { return members },
    addAddresses: async (log, addrs, ttlMs) => { await addressBook.add(thread, log, addrs, ttlMs) },
    addresses: async (log) => (await addressBook.get(thread, log)).map((a) => a.addr),
    async invite (options) {
      requireAdmin(await admission.state(await keys.keyring(thread)), identity.logId, thread)
      const addrs = options.addrs ?? (await addressBook.get(thread, identity.logId)).map((a) => a.addr)
      const epochs = await keys.epochs(thread)
      const { change, secret, shareSecret } = createInviteChange({ role: options.role, expires: options.expires ?? null, uses: options.uses ?? null, epochs, random: deps.random })
      const written = await writeAcl([change])
      return {
        thread,
        addrs,
        role: options.role,
        epochs: epochs.map((e) => roleReads(options.role) ? e : { keyId: e.keyId, epoch: e.epoch, followKey: e.followKey }),
        secret,
        shareSecret,
        via: { log: identity.logId, record: written.record }
      }
    },
    heldEpochs: async () => (await keys.epochs(thread)).length,
    followRequest: async (options = {}) => {
      const held = await keys.epochs(thread)
      const epochs = options.epochs === undefined ? held : held.slice(0, Math.max(1, options.epochs))
      const first = await records.recordAt(thread, identity.logId, 1)
      return await createFollowRequest({
        thread,
        followKeys: epochs.map((e) => e.followKey),
        member: identity,
        first: first === undefined ? undefined : { log: identity.logId, record: first, blocks: await records.recordBlocks(first, createKeyring(held), { thread }) }
      })
    },
    async exportRecords () {
      const out: RecordEnvelope[] = []
      const keyring = await keys.keyring(thread)
      for (const head of await records.heads(thread)) {
        for (let seq = 1; seq <= head.seq; seq++) {
          const record = (await records.recordAt(thread, head.log, seq))!
          out.push({ log: head.log, record, blocks: await records.recordBlocks(record, keyring, { thread }) })
        }
      }
      return out
    },
    history: async (options = {}) => await readHistory({ thread, records, keyring: await keys.keyring(thread), cache: historyCache, ...options }),
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
        declare(target)
        const restoreMs = performance.now() - started
        started = performance.now()
        await installView(target, await replaceSkippedRecords(meta, thread, after, skipped), options)
        return { restoreMs, writeMs: performance.now() - started }
      })
    },
    dump: () => view.dump(),
    publishSnapshot: async (options = {}) => await dispatcher.serialize(async () => await snapshotOfView({ thread, view, records, keys, admission, identity, now: deps.now ?? Date.now, thumbs: options.thumbs, random: deps.random })),
    distrustedPublishers: async () => await distrustedPublishers(meta, thread),
    async adoptSnapshot (bundle, heads) {
      const snapshot = await openPublishedSnapshot({ thread, bundle, heads, keyring: await keys.keyring(thread), distrusted: await distrustedPublishers(meta, thread) })
      let shown: (adopted: boolean) => void = () => {}
      const showing = new Promise<boolean>((resolve) => { shown = resolve })
      // Shown as soon as it is in memory; nothing else runs on this thread until it is stored, and should storing fail
      // the empty view comes back (the records then build it, as without a snapshot).
      const stored = dispatcher.serialize(async () => {
        if ([...view.collections.values()].some((c) => c.states.size > 0)) return false
        const before = view
        const target = createThreadView({ clock: snapshot.clock, states: snapshot.states.map(([coll, state]) => ({ coll, state })) })
        declare(target)
        showView(target)
        shown(true)
        // Encoding every state to store it takes as long as opening them: it waits a turn, so whoever awaits the
        // adoption shows the view first.
        await new Promise<void>((resolve) => { setTimeout(resolve, 0) })
        try {
          await storeView(target, [rememberAdopted(thread, snapshot)])
        } catch (error) {
          showView(before)
          throw error
        }
        return true
      })
      stored.catch((error: unknown) => { log.failure(`storing the snapshot shown for thread ${thread}`, error) })
      return await Promise.race([showing, stored]) ? snapshot : undefined
    },
    checkSnapshot: async () => await dispatcher.serialize(async () => await checkAdoptedSnapshot({
      thread,
      meta,
      records,
      keys,
      admission,
      view: () => view,
      rebuild: async () => {
        const target = createThreadView()
        await replay(target, {})
        declare(target)
        return target
      },
      replace: async (target, extra) => { await installView(target, extra) }
    }))
  }
  return db
}
