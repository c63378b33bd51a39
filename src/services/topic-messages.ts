/**
 * Messages on a thread's gossipsub topic (docs/PROTOCOL.md, "Pubsub"). They
 * only say "sync now, my log reached here" or "I am here, at these addresses":
 * records always travel through the sync protocol and are verified there, so
 * a head announced is only a hint of how far to pull (a false one costs one
 * bounded pull). Small JSON, at most {@link MAX_TOPIC_MESSAGE_BYTES}.
 */
import { createLogger } from '../core/logger.ts'
import { parseLogId } from '../core/ids/log-id.ts'
import type { LogPosition } from '../core/sync/engine.ts'

export const MAX_TOPIC_MESSAGE_BYTES = 1024
/** Most heads one announcement names (the sender's own log, and a few it relays). */
export const MAX_ANNOUNCED_HEADS = 4

const log = createLogger('services:topic-messages')

/** What a topic message says. */
export type TopicMessage =
  | { readonly type: 'records', readonly heads?: readonly LogPosition[] }
  | { readonly type: 'presence', readonly addrs: readonly string[] }

export function encodeTopicMessage (message: TopicMessage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: 1, ...message }))
}

/** The message in `data`, or undefined when it is not one this version understands. */
export function decodeTopicMessage (data: Uint8Array): TopicMessage | undefined {
  if (data.byteLength > MAX_TOPIC_MESSAGE_BYTES) return undefined
  try {
    const m = JSON.parse(new TextDecoder().decode(data)) as { v?: unknown, type?: unknown, addrs?: unknown, heads?: unknown }
    if (m.v !== 1) return undefined
    if (m.type === 'records') {
      const heads = announcedHeads(m.heads)
      return heads === undefined ? { type: 'records' } : { type: 'records', heads }
    }
    if (m.type === 'presence' && Array.isArray(m.addrs) && m.addrs.length <= 8 && m.addrs.every((a) => typeof a === 'string' && a.length <= 512)) {
      return { type: 'presence', addrs: m.addrs as string[] }
    }
  } catch (error) {
    log.failure('dropped a topic message that is not JSON', error)
  }
  return undefined
}

/** The heads an announcement names, when they are a short list of canonical log IDs and positive sequence numbers; otherwise none (the announcement still says "sync now"). */
function announcedHeads (heads: unknown): LogPosition[] | undefined {
  if (!Array.isArray(heads) || heads.length === 0 || heads.length > MAX_ANNOUNCED_HEADS) return undefined
  const read: LogPosition[] = []
  for (const h of heads as unknown[]) {
    const { log: id, seq } = (h ?? {}) as { log?: unknown, seq?: unknown }
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return undefined
    try {
      parseLogId(id)
    } catch (error) {
      log.failure('dropped the heads of an announcement naming a malformed log', error)
      return undefined
    }
    read.push({ log: id as string, seq })
  }
  return read
}
