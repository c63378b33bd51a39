/**
 * The outbox: local records a peer has not acknowledged yet. What a peer
 * acknowledged is kept per thread and peer in the metadata store, so the count
 * survives restarts and any host (the background node, or a service worker
 * with no tab open) can tell what is left to send and send it.
 */
import type { KeyValueStore } from '../storage/interfaces.ts'
import { getValue, putValue } from '../storage/meta-values.ts'
import { syncThread } from './engine.ts'
import type { LogPosition, SyncTransport } from './engine.ts'
import type { SyncReplica } from './replica.ts'

const ackKey = (thread: string, peer: string): string => `acked/${thread}/${encodeURIComponent(peer)}`

/** How many of `thread`'s local records `peer` has not acknowledged. */
export async function pendingFor (meta: KeyValueStore, replica: SyncReplica, thread: string, peer: string): Promise<number> {
  const acked = await getValue<Record<string, number>>(meta, ackKey(thread, peer)) ?? {}
  return (await replica.heads(thread)).reduce((n, h) => n + Math.max(0, h.seq - (acked[h.log] ?? 0)), 0)
}

/** How far `peer` acknowledged holding each log of `thread`; undefined when it never acknowledged anything. */
export async function acknowledged (meta: KeyValueStore, thread: string, peer: string): Promise<LogPosition[] | undefined> {
  const acked = await getValue<Record<string, number>>(meta, ackKey(thread, peer))
  return acked === undefined ? undefined : Object.entries(acked).map(([log, seq]) => ({ log, seq }))
}

/** Records that `peer` holds each log up to its `seq` in `heads`. */
export async function acknowledge (meta: KeyValueStore, thread: string, peer: string, heads: readonly LogPosition[]): Promise<void> {
  await meta.batch([putValue(ackKey(thread, peer), Object.fromEntries(heads.map((h) => [h.log, h.seq])))])
}

/**
 * Records that `peer` holds each log at least up to `served` (records it
 * sent), keeping what it acknowledged of other logs. Only where it
 * acknowledged something before: a first acknowledgement must cover every log
 * (a sync from acknowledged positions pushes whatever a log's entry lacks).
 */
export async function acknowledgeServed (meta: KeyValueStore, thread: string, peer: string, served: readonly LogPosition[]): Promise<void> {
  const acked = await getValue<Record<string, number>>(meta, ackKey(thread, peer))
  if (acked === undefined) return
  const merged = { ...acked }
  for (const { log, seq } of served) merged[log] = Math.max(seq, merged[log] ?? 0)
  await meta.batch([putValue(ackKey(thread, peer), merged)])
}

/** What one flush did, per thread that had something to send. */
export interface FlushedThread {
  readonly thread: string
  readonly pushed: number
  readonly error?: { readonly name: string, readonly message: string }
}

/**
 * Pushes every thread's unacknowledged records to `peer`, without pulling
 * (the host may send what is stored but not change it), and acknowledges what
 * it took. A thread that fails is reported and the others still go.
 */
export async function flushOutbox (input: {
  readonly threads: readonly string[]
  readonly peer: string
  readonly transport: SyncTransport
  readonly replica: SyncReplica
  readonly meta: KeyValueStore
  readonly signal?: AbortSignal
}): Promise<FlushedThread[]> {
  const flushed: FlushedThread[] = []
  for (const thread of input.threads) {
    if (await pendingFor(input.meta, input.replica, thread, input.peer) === 0) continue
    try {
      const result = await syncThread({ thread, replica: input.replica, transport: input.transport, signal: input.signal, pull: false })
      if (result.refused.length === 0) await acknowledge(input.meta, thread, input.peer, result.peerHeads)
      flushed.push(result.refused.length === 0
        ? { thread, pushed: result.pushed }
        : { thread, pushed: result.pushed, error: { name: result.refused[0]!.name, message: result.refused[0]!.message } })
    } catch (error) {
      flushed.push({ thread, pushed: 0, error: { name: (error as Error).name, message: (error as Error).message } })
    }
  }
  return flushed
}
