/**
 * Announcements on an album's topic come from anyone on it: the heads they name
 * are read only as a short list of canonical log IDs with positive sequence
 * numbers; anything else leaves a plain "sync now".
 */
import { describe, expect, it } from 'vitest'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import { decodeTopicMessage, encodeTopicMessage, MAX_ANNOUNCED_HEADS, MAX_TOPIC_MESSAGE_BYTES } from '../../src/services/topic-messages.ts'

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))

describe('topic messages', () => {
  it('carries the heads an announcement names', () => {
    const log = generateLogIdentity().logId
    expect(decodeTopicMessage(encodeTopicMessage({ type: 'records', heads: [{ log, seq: 7 }] }))).toEqual({ type: 'records', heads: [{ log, seq: 7 }] })
    expect(decodeTopicMessage(encodeTopicMessage({ type: 'records' }))).toEqual({ type: 'records' })
  })

  it('reads heads that are too many or malformed as a plain announcement', () => {
    const log = generateLogIdentity().logId
    const plain = { type: 'records' }
    const many = Array.from({ length: MAX_ANNOUNCED_HEADS + 1 }, () => ({ log: generateLogIdentity().logId, seq: 1 }))
    for (const heads of [many, [{ log: 'not a log', seq: 1 }], [{ log, seq: 0 }], [{ log, seq: 1.5 }], [{ log, seq: '3' }], [null], 'heads', [], [{ log: { toString: 'x' }, seq: 2 }]]) {
      expect(decodeTopicMessage(json({ v: 1, type: 'records', heads }))).toEqual(plain)
    }
  })

  it('drops a message larger than the protocol allows', () => {
    const padding = 'x'.repeat(MAX_TOPIC_MESSAGE_BYTES)
    expect(decodeTopicMessage(json({ v: 1, type: 'records', padding }))).toBeUndefined()
  })
})
