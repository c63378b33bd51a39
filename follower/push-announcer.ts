/**
 * Tells a thread's members, on its topic, as soon as a push stored records
 * here, how far each pushed log now goes on this follower, so they pull at
 * once: otherwise they wait for the writer to receive this follower's answer
 * and announce it itself, one more trip each way. The writer still announces
 * (older followers do not), and a member that already holds what is named
 * does nothing.
 *
 * Bounded: nothing is said on a topic no other peer follows; at most one
 * announcement per thread is being made at a time, and pushes stored
 * meanwhile are told by one more made after it, naming the heads as they are
 * then. It names at most {@link MAX_ANNOUNCED_HEADS} logs (none when a push
 * carried more: members then ask all the heads). Heads go out as an
 * announcement of the writer would name them (what any peer on the topic
 * already hears), never a record.
 */
import { createLogger } from '../src/core/logger.ts'
import type { HandledRequest } from '../src/core/sync/handler.ts'
import type { LogPosition } from '../src/core/sync/engine.ts'
import type { SyncRequest } from '../src/core/sync/messages.ts'
import { encodeTopicMessage, MAX_ANNOUNCED_HEADS } from '../src/services/topic-messages.ts'

const log = createLogger('follower:push-announcer')

/** What the announcer needs: this follower's heads, and its topics. */
export interface PushAnnouncerDeps {
  readonly heads: (thread: string) => Promise<readonly LogPosition[]>
  /** How many peers other than this one follow `thread`'s topic. */
  readonly listeners: (thread: string) => number
  readonly publish: (thread: string, data: Uint8Array) => Promise<unknown>
}

/** Announces the records a push stored; call it with each request served and its answer. */
export function createPushAnnouncer (deps: PushAnnouncerDeps): (request: SyncRequest, handled: HandledRequest) => void {
  /** Per thread: the logs pushed since its last announcement began, while one is being made. */
  const pending = new Map<string, Set<string>>()
  const busy = new Set<string>()

  async function announce (thread: string, logs: ReadonlySet<string>): Promise<void> {
    const named = logs.size > MAX_ANNOUNCED_HEADS ? [] : (await deps.heads(thread)).filter((h) => logs.has(h.log)).map(({ log, seq }) => ({ log, seq }))
    await deps.publish(thread, encodeTopicMessage(named.length === 0 ? { type: 'records' } : { type: 'records', heads: named }))
  }

  function next (thread: string): void {
    const logs = pending.get(thread)
    pending.delete(thread)
    if (logs === undefined) { busy.delete(thread); return }
    busy.add(thread)
    announce(thread, logs)
      .catch((error: unknown) => { log.failure(`announcing records pushed to ${thread}`, error) })
      .finally(() => { next(thread) })
  }

  return (request, handled) => {
    if (request.type !== 'push' || handled.response.type !== 'pushed' || handled.response.stored === 0) return
    if (deps.listeners(request.thread) === 0) return
    let logs = pending.get(request.thread)
    if (logs === undefined) pending.set(request.thread, logs = new Set())
    // One more than can be named is enough to know the heads go unnamed.
    for (const record of request.records) if (logs.size <= MAX_ANNOUNCED_HEADS) logs.add(record.log)
    if (!busy.has(request.thread)) next(request.thread)
  }
}
