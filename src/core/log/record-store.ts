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
 * - records of one log are committed one at a time, in order;
 * - every block read back is re-hashed, so corruption at rest is a BadCidError.
 */
import { BadSequenceError, BlockNotFoundError, EquivocationError, MalformedRecordError, MissingDependencyError, throwIfAborted } from '../errors.ts'
import type { BatchOperation, RawBlock, StorageBackend, StoreCallOptions } from '../storage/interfaces.ts'
import { getValue, listValues, putValue } from '../storage/meta-values.ts'
import { verifyBlock } from './blocks.ts'
import { openBody, openEvent, openHeader, openRecord } from './open-record.ts'
import { LIMITS, type EventHeader, type RecordNode } from './record-format.ts'
import { verifyIncomingRecord, type VerifiedRecord } from './verify-incoming.ts'

/** A log's newest record. */
export interface LogHead {
  readonly log: string
  readonly record: string
  readonly seq: number
}

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

interface Position { readonly log: string, readonly seq: number }

/**
 * Runs inside a log's commit queue once a record has passed every check and
 * before anything is written. The operations it returns are written in the
 * same atomic batch as the record's index and head, so derived state (the
 * database's views) never disagrees with the log; `committed` runs once that
 * batch is durable. A hook that throws rejects the record and writes nothing.
 */
export type CommitHook = (record: { readonly record: string, readonly node: RecordNode, readonly blocks: readonly RawBlock[] }) =>
  Promise<{ readonly operations: readonly BatchOperation[], readonly committed?: () => void }>

const recKey = (thread: string, cid: string): string => `rec/${thread}/${cid}`
const seqKey = (thread: string, log: string, seq: number): string => `seq/${thread}/${log}/${String(seq).padStart(16, '0')}`
const headKey = (thread: string, log: string): string => `head/${thread}/${log}`

/** Record store operations. */
export type RecordStore = ReturnType<typeof createRecordStore>

/** A record store over a storage backend. */
export function createRecordStore ({ backend }: { backend: StorageBackend }) {
  const { blocks, meta } = backend
  const queues = new Map<string, Promise<unknown>>()

  /** Runs `task` after every earlier task of the same log has settled. */
  function serialize<T> (key: string, task: () => Promise<T>): Promise<T> {
    const run = (queues.get(key) ?? Promise.resolve()).then(task, task)
    const settled = run.then(() => undefined, () => undefined)
    queues.set(key, settled)
    void settled.then(() => { if (queues.get(key) === settled) queues.delete(key) })
    return run
  }

  async function commit (thread: string, verified: VerifiedRecord, options?: StoreCallOptions & { hook?: CommitHook }): Promise<IngestResult> {
    const { node, record } = verified
    throwIfAborted(options?.signal)
    const existing = await getValue<Position>(meta, recKey(thread, record), options)
    if (existing !== undefined) return { status: 'duplicate', record, node }

    const missing: Array<{ log: string, record: string }> = []
    if (node.prev === null) {
      if (node.seq !== 1) throw new BadSequenceError(`record ${record} has no prev but seq ${node.seq}; the first record of a log has seq 1`)
    } else {
      const prev = await getValue<Position>(meta, recKey(thread, node.prev), options)
      if (prev === undefined) missing.push({ log: node.log, record: node.prev })
      else if (prev.log !== node.log) throw new MalformedRecordError(`record ${record} links prev ${node.prev} of another log`)
      else if (prev.seq !== node.seq - 1) throw new BadSequenceError(`record ${record} has seq ${node.seq} after a prev with seq ${prev.seq}`)
    }
    for (const dep of node.deps) {
      const held = await getValue<Position>(meta, recKey(thread, dep.record), options)
      if (held === undefined) missing.push({ log: dep.log, record: dep.record })
      else if (held.log !== dep.log) throw new MalformedRecordError(`record ${record} says dependency ${dep.record} is of log ${dep.log}, but it is of ${held.log}`)
    }
    if (missing.length > 0) {
      throw new MissingDependencyError(`record ${record} needs ${missing.length} record(s) not held yet: ${missing.map((m) => m.record).join(', ')}`, missing)
    }
    const other = await getValue<string>(meta, seqKey(thread, node.log, node.seq), options)
    if (other !== undefined) {
      throw new EquivocationError(`log ${node.log} signed two records at seq ${node.seq}: ${other} and ${record}`, node.log, node.seq, [other, record])
    }
    const derived = await options?.hook?.({ record, node, blocks: verified.blocks })
    throwIfAborted(options?.signal)
    // Blocks first: an interrupted commit leaves only unreferenced blocks, never an index entry without its blocks.
    await blocks.putMany(verified.blocks, options)
    await meta.batch([
      putValue(recKey(thread, record), { log: node.log, seq: node.seq }),
      putValue(seqKey(thread, node.log, node.seq), record),
      putValue(headKey(thread, node.log), { log: node.log, record, seq: node.seq }),
      ...(derived?.operations ?? [])
    ], options)
    derived?.committed?.()
    return { status: 'stored', record, node }
  }

  async function readBlock (cid: string, maxBytes: number, what: string, options?: StoreCallOptions): Promise<RawBlock> {
    const bytes = await blocks.get(cid, options)
    if (bytes === undefined) throw new BlockNotFoundError(`${what} block ${cid} is not in the store`, cid)
    verifyBlock(cid, bytes, maxBytes, what)
    return { cid, bytes }
  }

  const store = {
    /**
     * Verifies a received record of `log` and stores it with its blocks.
     * Throws a typed error (and stores nothing) when any check fails.
     */
    async ingest (input: { thread: string, log: string, followKey: Uint8Array, record: string, blocks: readonly RawBlock[] }, options?: StoreCallOptions & { hook?: CommitHook }): Promise<IngestResult> {
      const verified = await verifyIncomingRecord(input)
      return await serialize(`${input.thread}/${input.log}`, async () => await commit(input.thread, verified, options))
    },

    /**
     * Appends to this peer's own log: in the log's commit queue, reads the head,
     * lets `build` create the next record after it, and commits it with the same
     * stateful checks as ingest. One queue per log makes the writer single.
     */
    async appendOwn (thread: string, log: string, build: (prev: LogHead | null) => Promise<{ record: string, node: RecordNode, blocks: readonly RawBlock[] }>, options?: StoreCallOptions & { hook?: CommitHook }): Promise<IngestResult> {
      return await serialize(`${thread}/${log}`, async () => {
        const created = await build(await store.head(thread, log, options) ?? null)
        const [, event] = created.blocks
        if (event === undefined || created.node.log !== log) throw new MalformedRecordError('a created record must carry its blocks and belong to the log')
        return await commit(thread, { ...created, links: openEvent(event) }, options)
      })
    },

    async head (thread: string, log: string, options?: StoreCallOptions): Promise<LogHead | undefined> {
      return await getValue<LogHead>(meta, headKey(thread, log), options)
    },

    async heads (thread: string, options?: StoreCallOptions): Promise<LogHead[]> {
      const out: LogHead[] = []
      for await (const [, head] of listValues<LogHead>(meta, `head/${thread}/`, options)) out.push(head)
      return out
    },

    async hasRecord (thread: string, cid: string, options?: StoreCallOptions): Promise<boolean> {
      return await meta.has(recKey(thread, cid), options)
    },

    /** The record CID at a position of a log, if held. */
    async recordAt (thread: string, log: string, seq: number, options?: StoreCallOptions): Promise<string | undefined> {
      return await getValue<string>(meta, seqKey(thread, log, seq), options)
    },

    /** Reads, re-verifies and decrypts a stored record node with the follow key. */
    async readRecord (cid: string, followKey: Uint8Array, options?: StoreCallOptions): Promise<RecordNode> {
      return await openRecord(await readBlock(cid, LIMITS.maxRecordBlockBytes, 'record', options), followKey)
    },

    /** A stored record's four blocks, each re-verified (for serving to peers). */
    async recordBlocks (cid: string, followKey: Uint8Array, options?: StoreCallOptions): Promise<RawBlock[]> {
      const recordBlock = await readBlock(cid, LIMITS.maxRecordBlockBytes, 'record', options)
      const node = await openRecord(recordBlock, followKey)
      const eventBlock = await readBlock(node.event, LIMITS.maxEventBlockBytes, 'event', options)
      const links = openEvent(eventBlock)
      return [recordBlock, eventBlock,
        await readBlock(links.header, LIMITS.maxHeaderBlockBytes, 'header', options),
        await readBlock(links.body, LIMITS.maxBodyBlockBytes, 'body', options)]
    },

    /** Opens a stored record down to its payload (needs the read key). */
    async openEvent (cid: string, keys: { followKey: Uint8Array, readKey: Uint8Array }, options?: StoreCallOptions): Promise<OpenedEvent> {
      const node = await store.readRecord(cid, keys.followKey, options)
      const links = openEvent(await readBlock(node.event, LIMITS.maxEventBlockBytes, 'event', options))
      const header = openHeader(await readBlock(links.header, LIMITS.maxHeaderBlockBytes, 'header', options), keys.readKey)
      const payload = openBody(await readBlock(links.body, LIMITS.maxBodyBlockBytes, 'body', options), header.key)
      return { record: cid, node, header, payload }
    },

    /** Walks a log from its head back to seq 1 (or `untilSeq`), verifying each record. */
    async * walk (thread: string, log: string, followKey: Uint8Array, options?: StoreCallOptions & { untilSeq?: number }): AsyncGenerator<{ record: string, node: RecordNode }> {
      let cursor = (await store.head(thread, log, options))?.record ?? null
      while (cursor !== null) {
        throwIfAborted(options?.signal)
        const node = await store.readRecord(cursor, followKey, options)
        if (node.log !== log) throw new MalformedRecordError(`record ${cursor} in the chain of ${log} belongs to ${node.log}`)
        yield { record: cursor, node }
        if (options?.untilSeq !== undefined && node.seq <= options.untilSeq) return
        cursor = node.prev
      }
    }
  }
  return store
}
