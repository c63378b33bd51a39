/**
 * Publish/subscribe topics as the album service uses them: one topic per
 * album, carrying small "sync now" and presence messages (topic-messages.ts).
 * The service depends on this interface only; {@link pubsubTopics} fits it to
 * a libp2p pubsub service such as gossipsub, and tests use an in-memory bus.
 */
import type { Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

/** A message received on a topic; `from` is set when the message was signed by its sender. */
export interface TopicMessageEvent {
  readonly topic: string
  readonly from: PeerId | undefined
  readonly data: Uint8Array
}

/** Topics the node can join, say something on, and hear. */
export interface Topics {
  subscribe(topic: string): void
  unsubscribe(topic: string): void
  publish(topic: string, data: Uint8Array): Promise<unknown>
  /** Calls `listener` with every message on a subscribed topic; returns a function that stops that. */
  onMessage(listener: (message: TopicMessageEvent) => void): () => void
}

/** The part of a libp2p pubsub service {@link pubsubTopics} uses. */
export interface PubSubService {
  subscribe(topic: string): void
  unsubscribe(topic: string): void
  publish(topic: string, data: Uint8Array): Promise<unknown>
  addEventListener(type: 'message', listener: (event: CustomEvent<Message>) => void): void
  removeEventListener(type: 'message', listener: (event: CustomEvent<Message>) => void): void
}

/** {@link Topics} over a libp2p pubsub service. */
export function pubsubTopics (pubsub: PubSubService): Topics {
  return {
    subscribe: (topic) => { pubsub.subscribe(topic) },
    unsubscribe: (topic) => { pubsub.unsubscribe(topic) },
    publish: async (topic, data) => await pubsub.publish(topic, data),
    onMessage (listener) {
      const onEvent = ({ detail }: CustomEvent<Message>): void => {
        listener({ topic: detail.topic, from: detail.type === 'signed' ? detail.from : undefined, data: detail.data })
      }
      pubsub.addEventListener('message', onEvent)
      return () => { pubsub.removeEventListener('message', onEvent) }
    }
  }
}
