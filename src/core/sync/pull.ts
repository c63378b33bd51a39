/**
 * The pull phase of a sync: fetches what a peer holds beyond our positions, in
 * batches, and hands each to the replica, keeping three things under way at
 * once: the next batch on the wire (asked for as soon as one arrives), this
 * batch being verified, and the batch before it being committed. Positions
 * advance as batches arrive; a record refused for a missing dependency waits
 * and goes again with a later batch, and once more after the last while that
 * helps. A record refused for anything else ends the pull with its error, and
 * the batch on the wire is called off.
 */
import { throwIfAborted } from '../errors.ts'
import { createLogger } from '../logger.ts'
import type { BatchOutcome } from '../log/record-store.ts'
import { MAX_LOGS_PER_REQUEST, SYNC_VERSION, type SyncRequest, type SyncResponse, type WireHead, type RecordEnvelope } from './messages.ts'
import type { SyncReplica } from './replica.ts'

const log = createLogger('sync:pull')

/** A request under way, which can be called off (its outcome is then ignored). */
interface InFlight<T> {
  readonly response: Promise<T>
  cancel(): void
}

/** Starts `send` with a signal of its own that follows `signal`, so it can be called off alone. */
function inFlight<T> (signal: AbortSignal | undefined, send: (signal: AbortSignal) => Promise<T>): InFlight<T> {
  const controller = new AbortController()
  const follow = (): void => { controller.abort(signal?.reason) }
  signal?.addEventListener('abort', follow, { once: true })
  const response = send(controller.signal).finally(() => { signal?.removeEventListener('abort', follow) })
  return {
    response,
    cancel () {
      response.catch((error: unknown) => { log('a called-off request ended: %s', (error as Error)?.name) }) // nobody waits for it any more
      controller.abort()
    }
  }
}

type RecordsResponse = Extract<SyncResponse, { type: 'records' }>

/** Refusals that say "not yet" (an epoch whose keys are not held here, a log whose join is not admitted), not "bad". */
const NOT_YET = new Set(['UnknownEpochError', 'NotAMemberError'])

/** What a pull did: how many records were stored, and how far the peer sent each log (so it holds that much). */
export interface PullOutcome {
  readonly pulled: number
  readonly served: ReadonlyMap<string, number>
}

/** Pulls every record of `want` beyond `local`. */
export async function pullRecords (input: {
  readonly thread: string
  readonly replica: SyncReplica
  /** Sends a pull request and returns the records response (or throws). */
  readonly ask: (request: Extract<SyncRequest, { type: 'pull' }>, signal: AbortSignal) => Promise<RecordsResponse>
  /** The peer's heads of the logs to pull, and our own positions in them. */
  readonly want: ReadonlyArray<Pick<WireHead, 'log' | 'seq'>>
  readonly local: ReadonlyMap<string, number>
  readonly batchSize: number
  readonly signal?: AbortSignal
  readonly onProgress?: (done: number) => void
}): Promise<PullOutcome> {
  const { thread, replica, want, signal } = input
  const position = new Map(want.map((h) => [h.log, input.local.get(h.log) ?? 0]))
  const served = new Map<string, number>()
  let pulled = 0
  let waiting: RecordEnvelope[] = []
  const pull = (): InFlight<RecordsResponse> => inFlight(signal, async (s) =>
    // A pull names at most MAX_LOGS_PER_REQUEST logs; the others follow as those are done.
    await input.ask({ v: SYNC_VERSION, type: 'pull', thread, from: [...position].slice(0, MAX_LOGS_PER_REQUEST).map(([log, after]) => ({ log, after })), limit: input.batchSize }, s))
  /**
   * Counts a handed-over batch's outcomes once they are in; throws the first
   * refusal that is not a missing dependency, nor a record this peer cannot
   * read or admit yet (left out: the records after it in its log wait for it).
   */
  const settle = async (batch: { readonly attempt: RecordEnvelope[], readonly outcomes: Promise<BatchOutcome[]> }): Promise<void> => {
    const outcomes = await batch.outcomes
    waiting.push(...batch.attempt.filter((_, i) => outcomes[i] instanceof Error && outcomes[i]!.name === 'MissingDependencyError'))
    pulled += outcomes.filter((o) => !(o instanceof Error) && o.status === 'stored').length
    const failed = outcomes.find((o): o is Error => o instanceof Error && o.name !== 'MissingDependencyError' && !NOT_YET.has(o.name))
    if (failed !== undefined) throw failed
    input.onProgress?.(pulled)
  }
  const handOver = (attempt: RecordEnvelope[]): { attempt: RecordEnvelope[], outcomes: Promise<BatchOutcome[]> } => {
    const outcomes = replica.ingest(thread, attempt)
    // Reported by settle, unless an earlier batch failed first.
    outcomes.catch((error: unknown) => { log.failure('a batch behind an earlier failure could not be handed over', error) })
    return { attempt, outcomes }
  }

  let next = position.size > 0 ? pull() : undefined
  let handed: ReturnType<typeof handOver> | undefined
  try {
    while (next !== undefined) {
      throwIfAborted(signal)
      const response = await next.response
      next = undefined
      for (const r of response.records) {
        const seq = position.get(r.log)
        if (seq !== undefined) { position.set(r.log, seq + 1); served.set(r.log, seq + 1) }
      }
      for (const h of want) if ((position.get(h.log) ?? Infinity) >= h.seq) position.delete(h.log)
      if (position.size > 0 && response.records.length > 0) next = pull()
      const batch = handOver([...waiting, ...response.records])
      waiting = []
      // The replica verifies this batch while it commits the one before; that one's outcomes come first.
      if (handed !== undefined) await settle(handed)
      handed = batch
    }
    if (handed !== undefined) await settle(handed)
  } catch (error) {
    next?.cancel()
    throw error
  }
  // Records whose dependencies came in later batches than theirs.
  while (waiting.length > 0) {
    throwIfAborted(signal)
    const before = pulled
    const batch = handOver(waiting)
    waiting = []
    await settle(batch)
    if (pulled === before) break
  }
  return { pulled, served }
}
