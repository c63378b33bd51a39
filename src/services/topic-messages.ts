/**
 * Messages on a thread's gossipsub topic (docs/PROTOCOL.md, "Pubsub"). They
 * only say "sync now" or "I am here, at these addresses": records always travel
 * through the sync protocol and are verified there. Small JSON, at most
 * {@link MAX_TOPIC_MESSAGE_BYTES}.
 */
import { createLogger } from '../core/logger.ts'

export const MAX_TOPIC_MESSAGE_BYTES = 1024

const log = createLogger('services:topic-messages')

/** What a topic message says. */
export type TopicMessage =
  | { readonly type: 'records' }
  | { readonly type: 'presence', readonly addrs: readonly string[] }

export function encodeTopicMessage (message: TopicMessage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: 1, ...message }))
}

/** The message in `data`, or undefined when it is not one this version understands. */
export function decodeTopicMessage (data: Uint8Array): TopicMessage | undefined {
  if (data.byteLength > MAX_TOPIC_MESSAGE_BYTES) return undefined
  try {
    const m = JSON.parse(new TextDecoder().decode(data)) as { v?: unknown, type?: unknown, addrs?: unknown }
    if (m.v !== 1) return undefined
    if (m.type === 'records') return { type: 'records' }
    if (m.type === 'presence' && Array.isArray(m.addrs) && m.addrs.length <= 8 && m.addrs.every((a) => typeof a === 'string' && a.length <= 512)) {
      return { type: 'presence', addrs: m.addrs as string[] }
    }
  } catch (error) {
    log.failure('dropped a topic message that is not JSON', error)
  }
  return undefined
}
