/**
 * The load side of the follower benchmark: members of one access-controlled
 * thread (each joined through the owner's invite, as in use), each with
 * records of its own log made and encoded up front, and clients that push
 * those records to a follower, over HTTP or libp2p, one push at a time,
 * backing off when refused for load. Every loop is bounded: a client stops after its records,
 * or after MAX_ATTEMPTS refusals, or at the deadline.
 */
import { openDatabase, type Database, type ThreadDatabase } from '../src/core/db/index.ts'
import { createMemoryBackend } from '../src/core/storage/memory.ts'
import { encodeMessage, SYNC_VERSION, type RecordEnvelope, type SyncResponse } from '../src/core/sync/messages.ts'

/** One member's log, ready to push. */
export interface MemberLog {
  readonly log: string
  readonly records: readonly RecordEnvelope[]
}

/** The thread, its owner and its members' logs. */
export interface Album {
  readonly db: Database
  readonly owner: ThreadDatabase
  readonly members: readonly MemberLog[]
}

/** What one client saw. */
export interface ClientResult {
  pushed: number
  /** Milliseconds of each push the follower answered `pushed`, from the request it answered. */
  readonly latencies: number[]
  /** Milliseconds from each push's first attempt to its acknowledgement: refusals and the waits after them included. */
  readonly acknowledged: number[]
  /** For each push acknowledged, when (milliseconds from the phase's start, as pushLog was given it) and how many records it carried. */
  readonly ackedAt: Array<[number, number]>
  /** Names of the refusals met (the follower busy, too many requests), counted. */
  readonly refusals: Map<string, number>
  /** Failures other than refusals (a connection dropped, a timeout), by name. */
  readonly failures: Map<string, number>
  /** Whether every record was acknowledged. */
  readonly done: boolean
}

const LOAD_REFUSALS = new Set(['FollowerBusyError', 'TooManyRequestsError', 'ConnectionRefusedError', 'TooManyConnectionsError'])
const MAX_ATTEMPTS = 50
const REQUEST_TIMEOUT_MS = 30_000

/** An album whose owner invites `count` writers; each writes `recordsEach` documents of about `bytes` bytes. */
export async function makeAlbum (count: number, recordsEach: number, bytes = 200): Promise<Album> {
  const db = openDatabase({ backend: createMemoryBackend() })
  const owner = await db.createThread({ name: 'Bench album' })
  // One invite any number of people may use, as a link shared in a group would be.
  const invite = await owner.members.invite({ role: 'write' })
  const caption = 'x'.repeat(bytes)
  const members: MemberLog[] = []
  for (let i = 0; i < count; i++) {
    const memberDb = openDatabase({ backend: createMemoryBackend() })
    const member = await memberDb.acceptInvite(invite)
    const photos = member.collection('photos')
    for (let r = 0; r < recordsEach; r++) await photos.create({ _id: `m${i}-p${r}`, caption })
    const records = (await member.exportRecords()).filter((record) => record.log === member.logId)
    members.push({ log: member.logId, records })
    await memberDb.close()
  }
  return { db, owner, members }
}

/** One push of a member's records, encoded before any clock starts (the follower still checks every record). */
export interface EncodedPush {
  readonly bytes: Uint8Array
  readonly records: number
}

/** `member`'s records as pushes of `perPush`, each encoded once, up front. */
export function encodePushes (thread: string, member: MemberLog, perPush: number): EncodedPush[] {
  const pushes: EncodedPush[] = []
  for (let i = 0; i < member.records.length; i += perPush) {
    const records = member.records.slice(i, i + perPush)
    pushes.push({ bytes: encodeMessage({ v: SYNC_VERSION, type: 'push', thread, records }), records: records.length })
  }
  return pushes
}

/** Sends one encoded request and reads the answer (postSyncMessage, exchangeSyncMessage). */
export type SendEncoded = (bytes: Uint8Array, options: { signal: AbortSignal }) => Promise<SyncResponse>

/**
 * Sends `pushes` through `send`, one at a time, until all are acknowledged or
 * `deadline` (a `performance.now()` time) passes; acknowledgements are timed from `phaseStart`. A push refused for load
 * waits a jittered second (the follower's Retry-After) and is sent again.
 */
export async function pushLog (send: SendEncoded, pushes: readonly EncodedPush[], deadline: number, phaseStart = performance.now()): Promise<ClientResult> {
  const result: ClientResult = { pushed: 0, latencies: [], acknowledged: [], ackedAt: [], refusals: new Map(), failures: new Map(), done: false }
  const count = (map: Map<string, number>, name: string): void => { map.set(name, (map.get(name) ?? 0) + 1) }
  let attempts = 0
  let next = 0
  let firstTry: number | undefined
  while (next < pushes.length && performance.now() < deadline && attempts < MAX_ATTEMPTS) {
    const push = pushes[next]!
    const start = performance.now()
    firstTry ??= start
    let name: string
    try {
      const answer = await send(push.bytes, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
      if (answer.type === 'pushed' && answer.rejected.length === 0) {
        const now = performance.now()
        result.latencies.push(now - start)
        result.acknowledged.push(now - firstTry)
        result.ackedAt.push([now - phaseStart, push.records])
        result.pushed += push.records
        next++
        firstTry = undefined
        continue
      }
      name = answer.type === 'error' ? answer.name : answer.type === 'pushed' ? `rejected:${answer.rejected[0]!.name}` : `answer:${answer.type}`
    } catch (error) {
      name = (error as Error).name
    }
    attempts++
    if (LOAD_REFUSALS.has(name)) count(result.refusals, name)
    else count(result.failures, name)
    await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 1000))
  }
  return { ...result, done: next === pushes.length }
}

/**
 * Records a second while the phase runs at full strength: between the times
 * the first 10 % and 90 % of its records were acknowledged, leaving out the
 * crowd's arrival (each member's first push carries its join, whose key and
 * ACL the follower checks once) and its last stragglers.
 */
export function sustainedRate (clients: readonly ClientResult[]): number {
  const acks = clients.flatMap((c) => c.ackedAt).sort((a, b) => a[0] - b[0])
  const total = acks.reduce((sum, [, n]) => sum + n, 0)
  let seen = 0
  let from: [number, number] | undefined
  for (const [at, n] of acks) {
    seen += n
    if (from === undefined && seen >= 0.1 * total) from = [at, seen]
    if (from !== undefined && seen >= 0.9 * total) return at > from[0] ? (seen - from[1]) / ((at - from[0]) / 1000) : 0
  }
  return 0
}

/** The value at quantile `q` (0–1) of a list, 0 for an empty one. */
export function quantile (values: readonly number[], q: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}
