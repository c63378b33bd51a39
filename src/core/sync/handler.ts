/**
 * The serving side of sync: answers one request from a peer using the local
 * replica. Records a peer pushes are verified like any others; a peer whose
 * records fail verification (not merely arrive early) is marked abusive so the
 * transport can disconnect it.
 */
import { ThreadsError } from '../errors.ts'
import { parseThreadId } from '../ids/thread-id.ts'
import { verifyFollowRequest } from './follow-request.ts'
import { verifyJoinAnnouncement } from './invite.ts'
import { MAX_RECORDS_PER_MESSAGE, type SyncRequest, type SyncResponse, type WireRecord } from './messages.ts'
import type { SyncReplica } from './replica.ts'

/** Errors that only mean "send me something first", not misbehaviour. */
const BENIGN = new Set(['MissingDependencyError', 'MissingKeyError'])

/** A response, and whether the requesting peer misbehaved. */
export interface HandledRequest {
  readonly response: SyncResponse
  readonly abusive: boolean
}

/** Answers sync requests from a replica. */
export function createSyncHandler (replica: SyncReplica): (request: SyncRequest) => Promise<HandledRequest> {
  return async (request) => {
    try {
      parseThreadId(request.thread)
      if (request.type === 'follow') {
        if (replica.follow === undefined) return { response: { v: 1, type: 'error', name: 'NotAFollowerError', message: 'this peer does not follow threads for others' }, abusive: false }
        await verifyFollowRequest(request)
        await replica.follow(request.thread, request.logs)
        return { response: { v: 1, type: 'following', thread: request.thread }, abusive: false }
      }
      if (request.type === 'announce') {
        // Anyone may announce a new log; the signature proves the announcer holds that log's key.
        await verifyJoinAnnouncement(request.thread, request.announcement)
        if (!await replica.hasThread(request.thread)) return { response: { v: 1, type: 'error', name: 'ThreadNotFoundError', message: `thread ${request.thread} is not held here` }, abusive: false }
        await replica.announce(request.thread, request.announcement)
        return { response: { v: 1, type: 'announced', thread: request.thread }, abusive: false }
      }
      if (!await replica.hasThread(request.thread)) return { response: { v: 1, type: 'error', name: 'ThreadNotFoundError', message: `thread ${request.thread} is not held here` }, abusive: false }
      switch (request.type) {
        case 'announcements':
          return { response: { v: 1, type: 'announcements', thread: request.thread, announcements: await replica.announcements(request.thread) }, abusive: false }
        case 'heads':
          return { response: { v: 1, type: 'heads', thread: request.thread, heads: await replica.heads(request.thread) }, abusive: false }
        case 'pull': {
          const records: WireRecord[] = []
          let more = false
          const limit = Math.min(request.limit, MAX_RECORDS_PER_MESSAGE)
          for (const { log, after } of request.from) {
            if (records.length >= limit) { more = true; break }
            const batch = await replica.recordsAfter(request.thread, log, after, limit - records.length + 1)
            if (batch.length > limit - records.length) more = true
            records.push(...batch.slice(0, limit - records.length))
          }
          return { response: { v: 1, type: 'records', thread: request.thread, records, more }, abusive: false }
        }
        case 'push': {
          const outcomes = await replica.ingest(request.thread, request.records)
          const rejected = outcomes.flatMap((o, i) => o instanceof Error ? [{ record: request.records[i]!.record, name: o.name, message: o.message }] : [])
          return {
            response: {
              v: 1,
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
      const known = error instanceof ThreadsError
      return { response: { v: 1, type: 'error', name: known ? error.name : 'InternalError', message: known ? error.message : 'the request could not be served' }, abusive: known && !BENIGN.has(error.name) }
    }
  }
}
