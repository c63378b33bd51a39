/**
 * Topics in memory for service tests: a bus that delivers each message
 * published on a topic to every other node subscribed to it, as gossipsub
 * does, a turn later (never inside `publish`). Each node's view counts its
 * subscriptions and listeners, so a test can see that a stopped service left.
 */
import type { PeerId } from '@libp2p/interface'
import type { TopicMessageEvent, Topics } from '../../src/services/topics.ts'

interface Member {
  readonly from: PeerId | undefined
  readonly subscribed: Set<string>
  readonly listeners: Set<(message: TopicMessageEvent) => void>
}

/** A bus; `join()` gives one node's {@link Topics}. */
export function memoryTopicBus () {
  const members: Member[] = []
  return {
    join (from?: PeerId) {
      const me: Member = { from, subscribed: new Set(), listeners: new Set() }
      members.push(me)
      const topics: Topics = {
        subscribe: (topic) => { me.subscribed.add(topic) },
        unsubscribe: (topic) => { me.subscribed.delete(topic) },
        publish: async (topic, data) => {
          for (const other of members) {
            if (other === me || !other.subscribed.has(topic)) continue
            setTimeout(() => { for (const listener of [...other.listeners]) listener({ topic, from: me.from, data }) }, 0)
          }
        },
        onMessage: (listener) => {
          me.listeners.add(listener)
          return () => { me.listeners.delete(listener) }
        }
      }
      return { topics, subscribed: me.subscribed, listeners: me.listeners }
    }
  }
}
