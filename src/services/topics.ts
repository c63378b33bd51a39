/**
 * Publish/subscribe topics as the album service uses them: one topic per
 * album, carrying small "sync now" and presence messages (topic-messages.ts).
 * The service depends on this interface only; {@link pubsubTopics} fits it to
 * a libp2p pubsub service such as gossipsub, and tests use an in-memory bus.
 */
import { TopicValidatorResult, type Message, type TopicValidatorFn } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { createLogger } from '../core/logger.ts'
import { decodeTopicMessage, MAX_TOPIC_MESSAGE_BYTES } from './topic-messages.ts'

const log = createLogger('services:topics')

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
  /** Validators by topic (gossipsub's): a message they do not accept is neither delivered nor forwarded. */
  readonly topicValidators?: Map<string, TopicValidatorFn>
}

/** Whom a node hears on a thread's topic, given the message's author and the peer that passed it on. */
export interface TopicTrust {
  /** Whether `author` proved membership of `thread` to this node (topic-speakers.ts). */
  maySpeak(thread: string, author: string): boolean
  /** Whether `peer` is a follower this node syncs with: it says only what it stored, and forwards only what members say. */
  isFollower(peer: string): boolean
}

/**
 * {@link Topics} over a libp2p pubsub service. Given `trust`, each topic
 * joined gets a validator: a message over the size limit or not a topic
 * message this version reads is rejected (it counts against the peer that
 * sent it); one neither written by a member or follower nor passed on by a
 * follower is ignored, neither delivered nor forwarded. So a stranger who
 * connects to this node directly (as anyone may over WebRTC) and says "sync
 * now" on an album's topic makes nobody sync.
 */
export function pubsubTopics (pubsub: PubSubService, trust?: TopicTrust): Topics {
  return {
    subscribe: (topic) => {
      if (trust !== undefined) pubsub.topicValidators?.set(topic, topicValidator(topic, trust))
      pubsub.subscribe(topic)
    },
    unsubscribe: (topic) => {
      pubsub.unsubscribe(topic)
      pubsub.topicValidators?.delete(topic)
    },
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

/** The validator of `thread`'s topic under `trust` (see {@link pubsubTopics}). */
export function topicValidator (thread: string, trust: TopicTrust): TopicValidatorFn {
  return (propagationSource, message) => {
    if (message.data.byteLength > MAX_TOPIC_MESSAGE_BYTES || decodeTopicMessage(message.data) === undefined) return TopicValidatorResult.Reject
    if (trust.isFollower(propagationSource.toString())) return TopicValidatorResult.Accept
    if (message.type === 'signed') {
      const author = message.from.toString()
      if (trust.isFollower(author) || trust.maySpeak(thread, author)) return TopicValidatorResult.Accept
    }
    log(`ignored a message on ${thread} from ${message.type === 'signed' ? message.from.toString() : 'an unsigned author'}, who is no known member or follower`)
    return TopicValidatorResult.Ignore
  }
}
