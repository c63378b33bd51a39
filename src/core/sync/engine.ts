/**
 * The requesting side of sync with one peer for one thread: compare heads,
 * pull what the peer has beyond ours in batches (not a round trip per record;
 * see pull.ts), then push what we have beyond the peer's. Records that arrive before what
 * they depend on wait and are retried as the rest comes in. Progress is
 * reported as it goes; the signal cancels between batches.
 */
import { ThreadsError, throwIfAborted } from '../errors.ts'
import { MAX_RECORDS_PER_MESSAGE, type SyncRequest, type SyncResponse, type WireHead, type WireRecord } from './messages.ts'
import { pullRecords } from './pull.ts'
import type { SyncReplica } from './replica.ts'

/** Sends a request to one peer and returns its response. */
export interface SyncTransport {
  request(request: SyncRequest, options?: { signal?: AbortSignal }): Promise<SyncResponse>
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
  readonly peerHeads: ReadonlyArray<{ readonly log: string, readonly seq: number }>
}

async function ask<T extends SyncResponse['type']> (transport: SyncTransport, request: SyncRequest, type: T, signal?: AbortSignal): Promise<Extract<SyncResponse, { type: T }>> {
  const response = await transport.request(request, { signal })
  if (response.type === 'error') throw new SyncRemoteError(`peer answered ${response.name}: ${response.message}`, response.name)
  if (response.type !== type) throw new SyncRemoteError(`peer answered ${response.type} to ${request.type}`, 'UnexpectedResponse')
  return response as Extract<SyncResponse, { type: T }>
}

const seqOf = (heads: readonly WireHead[]): Map<string, number> => new Map(heads.map((h) => [h.log, h.seq]))

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
}): Promise<SyncResult> {
  const { thread, replica, transport, signal } = input
  const pulling = input.pull ?? true
  const batchSize = Math.min(input.batchSize ?? 256, MAX_RECORDS_PER_MESSAGE)
  // Learn logs announced by members who joined (their keys arrive sealed for members only).
  if (pulling && replica.learn !== undefined) {
    const { announcements } = await ask(transport, { v: 1, type: 'announcements', thread }, 'announcements', signal)
    if (announcements.length > 0) await replica.learn(thread, announcements)
  }
  const remoteHeads = (await ask(transport, { v: 1, type: 'heads', thread }, 'heads', signal)).heads
  const known = new Set(await replica.knownLogs(thread))
  const local = seqOf(await replica.heads(thread))
  const remote = seqOf(remoteHeads)

  // Pull.
  const want = pulling ? remoteHeads.filter((h) => known.has(h.log) && h.seq > (local.get(h.log) ?? 0)) : []
  const pullTotal = want.reduce((n, h) => n + h.seq - (local.get(h.log) ?? 0), 0)
  const pulled = await pullRecords({
    thread,
    replica,
    ask: async (request, s) => await ask(transport, request, 'records', s),
    want,
    local,
    batchSize,
    signal,
    onProgress: (done) => input.onProgress?.({ phase: 'pull', done, total: pullTotal })
  })

  // Push.
  const mine = await replica.heads(thread)
  const behind = mine.filter((h) => h.seq > (remote.get(h.log) ?? 0))
  const pushTotal = behind.reduce((n, h) => n + h.seq - (remote.get(h.log) ?? 0), 0)
  let pushed = 0
  let retry: WireRecord[] = []
  const refused: Array<{ record: string, name: string, message: string }> = []
  const send = async (records: WireRecord[]): Promise<void> => {
    const response = await ask(transport, { v: 1, type: 'push', thread, records }, 'pushed', signal)
    pushed += response.stored
    for (const r of response.rejected) {
      if (r.name === 'MissingDependencyError') retry.push(records.find((x) => x.record === r.record)!)
      else refused.push(r)
    }
    input.onProgress?.({ phase: 'push', done: pushed, total: pushTotal })
  }
  for (const head of behind) {
    for (let after = remote.get(head.log) ?? 0; after < head.seq; after += batchSize) {
      throwIfAborted(signal)
      await send(await replica.recordsAfter(thread, head.log, after, batchSize))
    }
  }
  // Records refused for missing dependencies go again once everything else was sent, while that helps.
  for (let round = 0; retry.length > 0 && round < behind.length + 1; round++) {
    const again = retry
    retry = []
    for (let i = 0; i < again.length; i += batchSize) await send(again.slice(i, i + batchSize))
    if (retry.length === again.length) break
  }
  const held = new Map(remote)
  if (refused.length === 0 && retry.length === 0) for (const h of mine) held.set(h.log, Math.max(h.seq, held.get(h.log) ?? 0))
  return { pulled, pushed, refused, peerHeads: [...held].map(([log, seq]) => ({ log, seq })) }
}
