/**
 * The browser node's validator of an album's topic: what it lets the album
 * service hear and forwards (a proven member's words, a follower's, and what
 * a follower passes on), what it drops without penalty (anyone else's), and
 * what it counts against the sender (anything that is no topic message).
 */
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { encodeTopicMessage } from '../../src/services/topic-messages.ts'
import { topicValidator } from '../../src/services/topics.ts'

const peer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
const signed = (from: PeerId, data: Uint8Array): Message => ({ type: 'signed', from, topic: 'album', data, sequenceNumber: 1n, signature: new Uint8Array(64), key: from.publicKey! })

describe('the topic validator of a browser node', () => {
  it('hears members and followers, ignores strangers, rejects what is no topic message', async () => {
    const [member, follower, stranger] = await Promise.all([peer(), peer(), peer()])
    const validate = topicValidator('album', {
      maySpeak: (thread, author) => thread === 'album' && author === member.toString(),
      isFollower: (p) => p === follower.toString()
    })
    const syncNow = encodeTopicMessage({ type: 'records' })
    expect(await validate(member, signed(member, syncNow))).toBe(TopicValidatorResult.Accept)
    expect(await validate(follower, signed(follower, syncNow))).toBe(TopicValidatorResult.Accept)
    // Whatever a follower passes on, whoever wrote it: the follower forwards only what members proven to it say.
    expect(await validate(follower, signed(stranger, syncNow))).toBe(TopicValidatorResult.Accept)
    // A stranger's, straight or passed on by a member: dropped, not forwarded.
    expect(await validate(stranger, signed(stranger, syncNow))).toBe(TopicValidatorResult.Ignore)
    expect(await validate(member, signed(stranger, syncNow))).toBe(TopicValidatorResult.Ignore)
    expect(await validate(stranger, { type: 'unsigned', topic: 'album', data: syncNow })).toBe(TopicValidatorResult.Ignore)
    // Not a topic message, even from a member.
    expect(await validate(member, signed(member, new TextEncoder().encode('{"v":1,"type":"shout"}')))).toBe(TopicValidatorResult.Reject)
    expect(await validate(member, signed(member, new Uint8Array(2048)))).toBe(TopicValidatorResult.Reject)
  })
})
