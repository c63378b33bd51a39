/**
 * The serving side of sync: answers one request from a peer using the local
 * replica. Records a peer pushes are verified like any others; a peer whose
 * records fail verification (not merely arrive early) is marked abusive so the
 * transport can disconnect it. No response passes MAX_MESSAGE_BYTES: records
 * and heads are cut by bytes as well as count, and heads come in pages.
 */
import { NotAMemberError, ThreadsError } from '../errors.ts'
import { parseThreadId } from '../ids/thread-id.ts'
import { verifyFollowRequest } from './follow-request.ts'
import { verifyPullProof } from './pull-proof.ts'
import { countWithin, roomFor } from './message-size.ts'
import { MAX_ERROR_MESSAGE_LENGTH, MAX_ITEMS_PER_MESSAGE, MAX_RECORDS_PER_MESSAGE, SYNC_VERSION, type SyncRequest, type SyncResponse, type RecordEnvelope } from './messages.ts'
import { readRecordsWithin, tooLarge } from './record-batches.ts'
import type { SyncReplica } from './replica.ts'

/** Errors that only mean "send me something first", not misbehaviour. */
/** (NotAMemberError: a log whose join has not arrived yet; the pusher sends it again later.) */
const BENIGN = new Set(['MissingDependencyError', 'MissingKeyError', 'UnknownEpochError', 'NotAMemberError', 'StaleSnapshotError', 'SnapshotVectorError'])

/** A response, and whether the requesting peer misbehaved. */
export interface HandledRequest {
  readonly response: SyncResponse
  readonly abusive: boolean
}

/** The error response for `error`: its name and message if it is one of ours, a generic one otherwise. */
export function errorResponse (error: unknown): Extract<SyncResponse, { type: 'error' }> {
  const known = error instanceof ThreadsError
  return {
    v: SYNC_VERSION,
    type: 'error',
    name: known ? error.name : 'InternalError',
    message: known ? error.message.slice(0, MAX_ERROR_MESSAGE_LENGTH) : 'the request could not be served'
  }
}

const answer = (response: SyncResponse): HandledRequest => ({ response, abusive: false })
const notHeld = (thread: string): HandledRequest => answer({ v: SYNC_VERSION, type: 'error', name: 'ThreadNotFoundError', message: `thread ${thread} is not held here` })

/** The page of `items` (sorted by log ID) after `after`, as much as fits in a response shaped like `envelope`. */
function page<T extends { readonly log: string }> (items: readonly T[], after: string | undefined, envelope: SyncResponse): { items: T[], more: boolean } {
  const rest = [...items].sort((a, b) => a.log < b.log ? -1 : a.log > b.log ? 1 : 0).filter((item) => after === undefined || item.log > after)
  const count = countWithin(rest, roomFor(envelope), MAX_ITEMS_PER_MESSAGE)
  return { items: rest.slice(0, count), more: count < rest.length }
}

/** The records response to a pull: log by log, as many as fit in the count asked for and in one message. */
async function pullResponse (replica: SyncReplica, request: Extract<SyncRequest, { type: 'pull' }>): Promise<SyncResponse> {
  const records: RecordEnvelope[] = []
  const room = roomFor({ v: SYNC_VERSION, type: 'records', thread: request.thread, records: [], more: true })
  const limit = Math.min(request.limit, MAX_RECORDS_PER_MESSAGE)
  let used = 0
  let more = false
  for (const { log, after } of request.from) {
    if (records.length >= limit || used >= room) { more = true; break }
    const found = await readRecordsWithin({ replica, thread: request.thread, log, after, maxCount: limit - records.length, room: room - used })
    // A record too large for a message alone cannot be within the record size limits; said in words rather than answered with nothing forever.
    if (records.length === 0 && found.overflow !== undefined && found.records.length === 0) throw tooLarge(found.overflow.record, found.overflow.size, room)
    records.push(...found.records)
    used += found.bytes
    if (found.stop !== 'end') { more = true; break }
  }
  return { v: SYNC_VERSION, type: 'records', thread: request.thread, records, more }
}

/** What the transport knows of the connection a request came on. */
export interface RequestContext {
  /** The requester's peer ID, when the transport authenticates one (libp2p). */
  readonly remotePeer?: string
}

/** Answers sync requests from a replica. */
export function createSyncHandler (replica: SyncReplica, options: { readonly now?: () => number } = {}): (request: SyncRequest, context?: RequestContext) => Promise<HandledRequest> {
  const now = options.now ?? Date.now
  /** Heads and records go only to members, when the replica says who they are (pull-proof.ts); one NotAMemberError for every failure. */
  async function requireMember (request: Extract<SyncRequest, { type: 'heads' | 'pull' | 'snapshot-get' }>, context: RequestContext): Promise<void> {
    if (replica.mayPull === undefined) return
    const by = await verifyPullProof({ thread: request.thread, proof: request.proof, remotePeer: context.remotePeer, now: now() })
    if (!await replica.mayPull(request.thread, by)) throw new NotAMemberError(`thread ${request.thread} is served only to its members: sign a pull proof with a member's log key`)
  }
  return async (request, context = {}) => {
    try {
      const { thread } = request
      // The decoder checked it already; a handler called directly (in-process) checks it too.
      parseThreadId(thread)
      if (request.type === 'follow') {
        if (replica.follow === undefined) return answer({ v: SYNC_VERSION, type: 'error', name: 'NotAFollowerError', message: 'this peer does not follow threads for others' })
        // Checked here for every follower; who may sign is the follower's rule (follow-admission.ts).
        await verifyFollowRequest(request)
        await replica.follow(request)
        return answer({ v: SYNC_VERSION, type: 'following', thread })
      }
      if (!await replica.hasThread(thread)) return notHeld(thread)
      if (request.type === 'snapshot-get' && request.first !== undefined) {
        // A joiner's join, as a push would bring it; a refusal is answered like one (by name).
        const [outcome] = await replica.ingest(thread, [request.first])
        if (outcome instanceof Error) throw outcome
      }
      if (request.type === 'heads' || request.type === 'pull' || request.type === 'snapshot-get') await requireMember(request, context)
      switch (request.type) {
        case 'heads': {
          const { items, more } = page(await replica.heads(thread), request.after, { v: SYNC_VERSION, type: 'heads', thread, heads: [], more: true })
          return answer({ v: SYNC_VERSION, type: 'heads', thread, heads: items, more })
        }
        case 'pull':
          return answer(await pullResponse(replica, request))
        case 'snapshot-get': {
          const snapshot = await replica.snapshots?.latest(thread)
          return answer({ v: SYNC_VERSION, type: 'snapshot', thread, ...snapshot === undefined ? {} : { snapshot } })
        }
        case 'snapshot-put':
          if (replica.snapshots === undefined) return answer({ v: SYNC_VERSION, type: 'error', name: 'NotAFollowerError', message: 'this peer keeps no snapshots for others' })
          await replica.snapshots.put(thread, request.snapshot)
          return answer({ v: SYNC_VERSION, type: 'snapshot-stored', thread })
        case 'push': {
          const outcomes = await replica.ingest(thread, request.records)
          const rejected = outcomes.flatMap((o, i) => o instanceof Error ? [{ record: request.records[i]!.record, name: o.name, message: o.message.slice(0, 500) }] : [])
          return {
            response: {
              v: SYNC_VERSION,
              type: 'pushed',
              stored: outcomes.filter((o) => !(o instanceof Error) && o.status === 'stored').length,
              duplicates: outcomes.filter((o) => !(o instanceof Error) && o.status === 'duplicate').length,
              rejected
            },
            abusive: rejected.some((r) => !BENIGN.has(r.name))
          }
        }
      }
    } catch (error) {
      return { response: errorResponse(error), abusive: error instanceof ThreadsError && !BENIGN.has(error.name) }
    }
  }
}
