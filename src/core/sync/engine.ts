/**
 * The requesting side of sync with one peer for one thread: compare heads
 * (every log of the thread: a joiner's log is found this way and admitted
 * through its join record), pull what the peer has beyond ours in
 * batches (not a round trip per record; see pull.ts), then push what we have
 * beyond the peer's, in batches cut by bytes as well as count. Records that
 * arrive before what they depend on wait and are retried as the rest comes in.
 * Progress is reported as it goes; the signal cancels
 * between batches.
 */
import { ThreadsError, throwIfAborted } from '../errors.ts'
import { roomFor } from './message-size.ts'
import { MAX_RECORDS_PER_MESSAGE, SYNC_VERSION, type SyncRequest, type SyncResponse, type WireHead, type RecordEnvelope } from './messages.ts'
import { pullRecords } from './pull.ts'
import { batchesWithin, readRecordsWithin, tooLarge } from './record-batches.ts'
import { PULL_PROOF_WINDOW_MS, type PullProof } from './pull-proof.ts'
import type { SyncReplica } from './replica.ts'

/** Sends a request to one peer and returns its response. */
export interface SyncTransport {
  request(request: SyncRequest, options?: { signal?: AbortSignal }): Promise<SyncResponse>
  /**
   * What a pull proof names as `peer` on this transport (pull-proof.ts): this
   * node's own peer ID where the other side sees it (libp2p); absent: the
   * current time, for transports with no peer identity (HTTP).
   */
  proofPeer?(): string | number
}

/** How long one sync reuses a pull proof; a timestamp proof is accepted for ±PULL_PROOF_WINDOW_MS. */
const PROOF_REUSE_MS = PULL_PROOF_WINDOW_MS / 2

/**
 * The transport with this member's pull proof added to each heads and pull
 * request, so a follower serves it. One proof serves a sync until it is half
 * as old as a follower accepts (a timestamp proof ages).
 */
export function withPullProof (transport: SyncTransport, replica: SyncReplica, thread: string): SyncTransport {
  if (replica.pullProof === undefined) return transport
  const sign = replica.pullProof.bind(replica)
  let held: { proof: Promise<PullProof | undefined>, at: number } | undefined
  const proof = (): Promise<PullProof | undefined> => {
    const now = Date.now()
    if (held === undefined || now - held.at > PROOF_REUSE_MS) held = { proof: sign(thread, transport.proofPeer?.() ?? now), at: now }
    return held.proof
  }
  return {
    async request (request, options) {
      if (request.type !== 'heads' && request.type !== 'pull' && request.type !== 'snapshot-get') return await transport.request(request, options)
      const signed = await proof()
      return await transport.request(signed === undefined ? request : { ...request, proof: signed }, options)
    }
  }
}

/** A peer answered with an error or an unexpected message. */
export class SyncRemoteError extends ThreadsError {
  static override readonly errorName = 'SyncRemoteError'
  readonly remoteName: string
  constructor (message: string, remoteName: string) {
    super(message)
    this.remoteName = remoteName
  }
}

/** Progress of one sync. */
export interface SyncProgress {
  readonly phase: 'pull' | 'push'
  /** Records handled so far in this phase, and how many the heads said there were. */
  readonly done: number
  readonly total: number
}

/** What a sync did. */
export interface SyncResult {
  readonly pulled: number
  readonly pushed: number
  /** Records the peer refused, by name of error. */
  readonly refused: ReadonlyArray<{ record: string, name: string, message: string }>
  /** How far the peer holds each log now, as far as this sync knows: what it had, and what it took. */
  readonly peerHeads: readonly LogPosition[]
  /** Whether the peer took every record sent (none still waits on a dependency it lacks). */
  readonly complete: boolean
}

async function ask<T extends SyncResponse['type']> (transport: SyncTransport, request: SyncRequest, type: T, signal?: AbortSignal): Promise<Extract<SyncResponse, { type: T }>> {
  const response = await transport.request(request, { signal })
  if (response.type === 'error') throw new SyncRemoteError(`peer answered ${response.name}: ${response.message}`, response.name)
  if (response.type !== type) throw new SyncRemoteError(`peer answered ${response.type} to ${request.type}`, 'UnexpectedResponse')
  return response as Extract<SyncResponse, { type: T }>
}

/** How far a log goes: its last sequence number. */
export interface LogPosition { readonly log: string, readonly seq: number }

const seqOf = (heads: readonly LogPosition[]): Map<string, number> => new Map(heads.map((h) => [h.log, h.seq]))

/**
 * Goes through a paged list (heads): `askPage` asks for the
 * page after a log ID and says whether more follow and the page's last log ID.
 */
async function eachPage (askPage: (after: string | undefined) => Promise<{ more: boolean, last: string | undefined }>, signal?: AbortSignal): Promise<void> {
  let after: string | undefined
  for (;;) {
    throwIfAborted(signal)
    const { more, last } = await askPage(after)
    // A page that ends nowhere further than the one before would be asked for forever.
    if (!more || last === undefined || (after !== undefined && last <= after)) return
    after = last
  }
}

const pageRequest = (after: string | undefined): { after?: string } => after === undefined ? {} : { after }

/** All of the peer's heads of the thread, page by page. */
async function remoteHeadsOf (transport: SyncTransport, thread: string, signal?: AbortSignal): Promise<WireHead[]> {
  const heads: WireHead[] = []
  await eachPage(async (after) => {
    const page = await ask(transport, { v: SYNC_VERSION, type: 'heads', thread, ...pageRequest(after) }, 'heads', signal)
    heads.push(...page.heads)
    return { more: page.more, last: page.heads.at(-1)?.log }
  }, signal)
  return heads
}

/**
 * The peer's heads, asked as a member. A follower that does not hold this
 * member's join yet (a joiner whose first contact is this sync) refuses with
 * NotAMemberError: the first record of this peer's own log is pushed, and the
 * heads asked once more.
 */
export async function remoteHeadsAsMember (transport: SyncTransport, replica: SyncReplica, thread: string, signal?: AbortSignal): Promise<{ heads: WireHead[], pushed: number }> {
  try {
    return { heads: await remoteHeadsOf(transport, thread, signal), pushed: 0 }
  } catch (error) {
    const own = await replica.ownLog?.(thread)
    if (!(error instanceof SyncRemoteError) || error.remoteName !== 'NotAMemberError' || own === undefined) throw error
    const first = await replica.recordsAfter(thread, own, 0, 1)
    if (first.length === 0) throw error
    const { stored } = await ask(transport, { v: SYNC_VERSION, type: 'push', thread, records: first }, 'pushed', signal)
    return { heads: await remoteHeadsOf(transport, thread, signal), pushed: stored }
  }
}

/** Syncs one thread with one peer. */
export async function syncThread (input: {
  readonly thread: string
  readonly replica: SyncReplica
  readonly transport: SyncTransport
  readonly batchSize?: number
  readonly signal?: AbortSignal
  readonly onProgress?: (progress: SyncProgress) => void
  /** False to only push: for a host that may send what is stored but must not change the store (a service worker). */
  readonly pull?: boolean
  /**
   * Told, once the pull is done and before anything is pushed (when there is
   * something to push), how far the peer sent each log (so it holds them): a
   * push that fails after it does not take back what the peer was seen to hold.
   */
  readonly onServed?: (served: readonly LogPosition[]) => Promise<void>
  /**
   * Skips asking the peer's heads: `remote` is what the peer is known to hold
   * (what it acknowledged), pushed from; `hints` are heads others said it
   * holds (an announcement, untrusted), only pulled up to, never counted as held.
   */
  readonly known?: { readonly remote: readonly LogPosition[], readonly hints?: readonly LogPosition[] }
}): Promise<SyncResult> {
  const { thread, replica, signal } = input
  const transport = withPullProof(input.transport, replica, thread)
  const pulling = input.pull ?? true
  const batchSize = Math.min(input.batchSize ?? 256, MAX_RECORDS_PER_MESSAGE)
  const { heads: remoteHeads, pushed: pushedFirst }: { heads: readonly LogPosition[], pushed: number } = input.known === undefined
    ? await remoteHeadsAsMember(transport, replica, thread, signal)
    : { heads: input.known.remote, pushed: 0 }
  const local = seqOf(await replica.heads(thread))
  const remote = seqOf(remoteHeads)

  // Pull.
  const wanted = new Map(remote)
  for (const h of input.known?.hints ?? []) wanted.set(h.log, Math.max(h.seq, wanted.get(h.log) ?? 0))
  const want = pulling ? [...wanted].filter(([log, seq]) => seq > (local.get(log) ?? 0)).map(([log, seq]) => ({ log, seq })) : []
  const pullTotal = want.reduce((n, h) => n + h.seq - (local.get(h.log) ?? 0), 0)
  const { pulled, served } = await pullRecords({
    thread,
    replica,
    ask: async (request, s) => await ask(transport, request, 'records', s),
    want,
    local,
    batchSize,
    signal,
    onProgress: (done) => input.onProgress?.({ phase: 'pull', done, total: pullTotal })
  })

  // What the peer sent, it holds: not sent back to it.
  for (const [log, seq] of served) remote.set(log, Math.max(seq, remote.get(log) ?? 0))

  // Push. With nothing pulled, the heads read above still say what to send (a write made since kicks a sync of its own): not read again.
  const mine = pulled === 0 ? [...local].map(([log, seq]) => ({ log, seq })) : await replica.heads(thread)
  const behind = mine.filter((h) => h.seq > (remote.get(h.log) ?? 0))
  const pushTotal = behind.reduce((n, h) => n + h.seq - (remote.get(h.log) ?? 0), 0)
  // Only a push can fail after the pull: with nothing to push, the caller hears what was served from the result.
  if (served.size > 0 && behind.length > 0) await input.onServed?.([...served].map(([log, seq]) => ({ log, seq })))
  let pushed = pushedFirst
  let retry: RecordEnvelope[] = []
  const refused: Array<{ record: string, name: string, message: string }> = []
  const room = roomFor({ v: SYNC_VERSION, type: 'push', thread, records: [] })
  const send = async (records: RecordEnvelope[]): Promise<void> => {
    const response = await ask(transport, { v: SYNC_VERSION, type: 'push', thread, records }, 'pushed', signal)
    pushed += response.stored
    const sent = new Map(records.map((r) => [r.record, r]))
    for (const r of response.rejected) {
      const record = sent.get(r.record)
      if (r.name === 'MissingDependencyError' && record !== undefined) retry.push(record)
      else refused.push(r)
    }
    input.onProgress?.({ phase: 'push', done: pushed, total: pushTotal })
  }
  for (const head of behind) {
    for (let after = remote.get(head.log) ?? 0; after < head.seq;) {
      throwIfAborted(signal)
      const batch = await readRecordsWithin({ replica, thread, log: head.log, after, maxCount: batchSize, room })
      if (batch.overflow !== undefined && batch.records.length === 0) throw tooLarge(batch.overflow.record, batch.overflow.size, room)
      if (batch.records.length === 0) break // the log is shorter than its head said: nothing more to send
      await send(batch.records)
      after += batch.records.length
    }
  }
  // Records refused for missing dependencies go again once everything else was sent, while that helps.
  for (let round = 0; retry.length > 0 && round < behind.length + 1; round++) {
    const again = retry
    retry = []
    for (const batch of batchesWithin(again, room, batchSize)) await send(batch)
    if (retry.length === again.length) break
  }
  const held = new Map(remote)
  const complete = refused.length === 0 && retry.length === 0
  if (complete) for (const h of mine) held.set(h.log, Math.max(h.seq, held.get(h.log) ?? 0))
  return { pulled, pushed, refused, complete, peerHeads: [...held].map(([log, seq]) => ({ log, seq })) }
}
