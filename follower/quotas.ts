/**
 * Storage quotas of the follower: how many threads one requester may have it
 * follow (`maxThreadsPerRequester`; a requester is the IP address a request
 * comes from, or the libp2p peer where there is none, since addresses are
 * what a stranger cannot make by the thousand), and how many bytes of records
 * it stores for one thread (`maxBytesPerThread`). Both are counted in the
 * follower's metadata store, so they hold across restarts; the counts start
 * with the first start that keeps them.
 *
 * A follow request for a new thread past the requester's quota is answered
 * `ThreadQuotaError`, a push that would take a thread past its quota
 * `StorageQuotaError`; both change nothing, and neither counts as abuse, so
 * the peer keeps its connection for what it may still do.
 */
import type { RecordEnvelope } from '../src/core/log/record-envelope.ts'
import { SYNC_VERSION, type SyncRequest } from '../src/core/sync/messages.ts'
import type { HandledRequest, RequestContext } from '../src/core/sync/handler.ts'
import type { SyncReplica } from '../src/core/sync/replica.ts'
import type { KeyValueStore } from '../src/core/storage/interfaces.ts'
import { ThreadsError } from '../src/core/errors.ts'
import { createLogger } from '../src/core/logger.ts'
import { StorageQuotaError, ThreadQuotaError } from './limit-errors.ts'
import type { FollowerLimits } from './limits.ts'

const log = createLogger('follower:quotas')
const BYTES = 'follower/quota/bytes/'
const REQUESTERS = 'follower/quota/requester/'
const text = new TextEncoder()
const untext = new TextDecoder()

/** The handler wrapped with quotas, and the replica whose ingest counts what it stores. */
export interface Quotas {
  readonly replica: SyncReplica
  /** Media bytes a thread keeps count against the same per-thread limit as its records. */
  readonly media: {
    /** Counts `bytes` more for `thread`, or throws StorageQuotaError past its limit. */
    charge(thread: string, bytes: number): Promise<void>
    refund(thread: string, bytes: number): Promise<void>
  }
  handler(inner: (request: SyncRequest, context?: RequestContext) => Promise<HandledRequest>): (request: SyncRequest, requester: string, context?: RequestContext) => Promise<HandledRequest>
  /** Resolves once every count written so far is stored (before the store closes). */
  settled(): Promise<void>
}

const refused = (error: ThreadsError): HandledRequest => ({ response: { v: SYNC_VERSION, type: 'error', name: error.name, message: error.message }, abusive: false })

const sizeOf = (records: readonly RecordEnvelope[]): number => records.reduce((sum, r) => sum + r.blocks.reduce((s, b) => s + b.bytes.byteLength, 0), 0)

/** Quotas over `replica`, counted in `meta`. */
export function createQuotas ({ replica, meta, limits }: {
  readonly replica: SyncReplica
  readonly meta: KeyValueStore
  readonly limits: Pick<FollowerLimits, 'maxThreadsPerRequester' | 'maxBytesPerThread'>
}): Quotas {
  const stored = new Map<string, number>()
  /** Bytes of pushes under way, per thread, so concurrent pushes cannot pass the quota together. */
  const reserved = new Map<string, number>()
  const writes = new Map<string, Promise<void>>()
  const followed = new Map<string, Set<string>>()
  const follows = new Map<string, Promise<unknown>>()

  const storedBytes = async (thread: string): Promise<number> => {
    let bytes = stored.get(thread)
    if (bytes === undefined) {
      const saved = await meta.get(BYTES + thread)
      bytes = Math.max(stored.get(thread) ?? 0, saved === undefined ? 0 : Number(untext.decode(saved)))
      stored.set(thread, bytes)
    }
    return bytes
  }

  /** The count's write not started yet, per thread: counts made meanwhile join it. */
  const queuedWrites = new Map<string, Promise<void>>()
  /**
   * Writes the thread's count as it is now; resolves once a write holding it
   * is stored. Writes are chained per thread so the newest count lands last,
   * and the counts of pushes made while one is written share the next write:
   * concurrent pushes cost one count write, not one each.
   */
  const persist = async (thread: string): Promise<void> => {
    const queued = queuedWrites.get(thread)
    if (queued !== undefined) { await queued; return }
    const run = async (): Promise<void> => {
      queuedWrites.delete(thread)
      await meta.batch([{ type: 'put', key: BYTES + thread, value: text.encode(String(stored.get(thread))) }])
    }
    const write = (writes.get(thread) ?? Promise.resolve()).then(run, run)
    queuedWrites.set(thread, write)
    writes.set(thread, write)
    await write
  }

  /** Adds `bytes` to the thread's count and resolves once a write holding it is stored. */
  const count = async (thread: string, bytes: number): Promise<void> => {
    stored.set(thread, await storedBytes(thread) + bytes)
    await persist(thread)
  }

  const threadsOf = async (requester: string): Promise<Set<string>> => {
    let threads = followed.get(requester)
    if (threads === undefined) {
      threads = new Set()
      for await (const [key] of meta.list(`${REQUESTERS}${requester}/`)) threads.add(key.slice(REQUESTERS.length + requester.length + 1))
      followed.set(requester, threads)
    }
    return threads
  }

  const wrapped: SyncReplica = {
    ...replica,
    async ingest (thread, records) {
      const outcomes = await replica.ingest(thread, records)
      const added = sizeOf(records.filter((_r, i) => { const o = outcomes[i]; return o !== undefined && !(o instanceof Error) && o.status === 'stored' }))
      if (added > 0) {
        // Counted at once (later pushes are judged with it); the records are durable already, and the push is
        // answered without waiting for the count's own write: one sync a push, not two. A crash before that write
        // lands leaves the count short by the pushes of that moment (the quota bounds a thread's bytes, not exactly).
        stored.set(thread, await storedBytes(thread) + added)
        persist(thread).catch((error: unknown) => { log.failure(`writing the stored bytes of thread ${thread}`, error) })
      }
      return outcomes
    }
  }

  /** A follow request: a thread new to the follower counts against its requester's quota. */
  async function follow (inner: (request: SyncRequest) => Promise<HandledRequest>, request: Extract<SyncRequest, { type: 'follow' }>, requester: string): Promise<HandledRequest> {
    if (await replica.hasThread(request.thread)) return await inner(request)
    const threads = await threadsOf(requester)
    if (threads.size >= limits.maxThreadsPerRequester && !threads.has(request.thread)) {
      return refused(new ThreadQuotaError(`${requester} already has this follower follow ${threads.size} threads, the most one requester may`))
    }
    const handled = await inner(request)
    if (handled.response.type === 'following' && !threads.has(request.thread)) {
      threads.add(request.thread)
      await meta.batch([{ type: 'put', key: `${REQUESTERS}${requester}/${request.thread}`, value: new Uint8Array(0) }])
    }
    return handled
  }

  /** A push: refused whole if the thread's bytes, with pushes under way and this one, would pass the quota. */
  async function push (inner: (request: SyncRequest) => Promise<HandledRequest>, request: Extract<SyncRequest, { type: 'push' }>): Promise<HandledRequest> {
    const incoming = sizeOf(request.records)
    const held = await storedBytes(request.thread) + (reserved.get(request.thread) ?? 0)
    if (held + incoming > limits.maxBytesPerThread) {
      return refused(new StorageQuotaError(`thread ${request.thread} holds ${held} bytes on this follower; ${incoming} more would pass the ${limits.maxBytesPerThread} bytes one thread may hold`))
    }
    reserved.set(request.thread, (reserved.get(request.thread) ?? 0) + incoming)
    try {
      return await inner(request)
    } finally {
      const left = (reserved.get(request.thread) ?? incoming) - incoming
      if (left === 0) reserved.delete(request.thread)
      else reserved.set(request.thread, left)
    }
  }

  return {
    replica: wrapped,
    settled: async () => { await Promise.allSettled([...writes.values()]) },
    media: {
      async charge (thread, bytes) {
        const held = await storedBytes(thread) + (reserved.get(thread) ?? 0)
        if (held + bytes > limits.maxBytesPerThread) {
          throw new StorageQuotaError(`thread ${thread} holds ${held} bytes on this follower; a file of ${bytes} more would pass the ${limits.maxBytesPerThread} bytes one thread may hold`)
        }
        await count(thread, bytes)
      },
      refund: async (thread, bytes) => { await count(thread, -bytes) }
    },
    handler: (inner) => async (request, requester, context) => {
      if (request.type === 'push') return await push(inner, request)
      // What the transport knows of the connection (the peer a pull proof must name) goes through.
      if (request.type !== 'follow') return await inner(request, context)
      // One follow at a time per requester, so two cannot both take its last place.
      const turn = (follows.get(requester) ?? Promise.resolve()).then(async () => await follow(inner, request, requester))
      const settled = turn.catch((error: unknown) => error)
      follows.set(requester, settled)
      void settled.then(() => { if (follows.get(requester) === settled) follows.delete(requester) })
      return await turn
    }
  }
}
