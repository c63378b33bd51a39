/**
 * A follower tells a thread's topic how far the logs a push stored now go
 * there, as members read announcements: once a push stored something, only
 * when someone else follows the topic, one announcement at a time per thread
 * (pushes stored meanwhile are told by the next, with the heads as they are
 * then), and without heads when a push names more logs than one announcement may.
 */
import { describe, expect, it, vi } from 'vitest'
import { createPushAnnouncer } from '../../follower/push-announcer.ts'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import type { LogPosition } from '../../src/core/sync/engine.ts'
import type { SyncRequest, SyncResponse } from '../../src/core/sync/messages.ts'
import { decodeTopicMessage, MAX_ANNOUNCED_HEADS, type TopicMessage } from '../../src/services/topic-messages.ts'

const THREAD = 'thread-a'
const logs = Array.from({ length: MAX_ANNOUNCED_HEADS + 2 }, () => generateLogIdentity().logId)

const push = (...pushed: string[]): SyncRequest => ({ v: 2, type: 'push', thread: THREAD, records: pushed.map((log, i) => ({ log, record: `r${i}`, blocks: [] })) })
const pushed = (stored: number): { response: SyncResponse, abusive: boolean } => ({ response: { v: 2, type: 'pushed', stored, duplicates: 0, rejected: [] }, abusive: false })

function announcer (options: { listeners?: number } = {}) {
  const heads = new Map<string, number>()
  const said: Array<{ thread: string, message: TopicMessage | undefined }> = []
  let gate: Promise<void> = Promise.resolve()
  const announce = createPushAnnouncer({
    heads: async (): Promise<LogPosition[]> => [...heads].map(([log, seq]) => ({ log, seq })),
    listeners: () => options.listeners ?? 1,
    publish: async (thread, data) => {
      said.push({ thread, message: decodeTopicMessage(data) })
      await gate
    }
  })
  return { heads, said, announce, hold: (until: Promise<void>) => { gate = until } }
}

describe('a follower announcing stored pushes', () => {
  it('names the heads it now holds of the logs a push stored, in a message members read', async () => {
    const a = announcer()
    a.heads.set(logs[0]!, 7)
    a.heads.set(logs[1]!, 3)
    a.announce(push(logs[0]!), pushed(1))
    await vi.waitFor(() => { expect(a.said).toHaveLength(1) })
    expect(a.said[0]).toEqual({ thread: THREAD, message: { type: 'records', heads: [{ log: logs[0], seq: 7 }] } })
  })

  it('says nothing for a push that stored nothing, another request, or a topic nobody else follows', async () => {
    const a = announcer()
    a.heads.set(logs[0]!, 7)
    a.announce(push(logs[0]!), pushed(0))
    a.announce({ v: 2, type: 'heads', thread: THREAD }, { response: { v: 2, type: 'heads', thread: THREAD, heads: [], more: false }, abusive: false })
    a.announce(push(logs[0]!), { response: { v: 2, type: 'error', name: 'NotAMemberError', message: 'no' }, abusive: false })
    const alone = announcer({ listeners: 0 })
    alone.announce(push(logs[0]!), pushed(1))
    // Something it does say afterwards comes after anything it would have said before.
    a.heads.set(logs[1]!, 2)
    a.announce(push(logs[1]!), pushed(1))
    await vi.waitFor(() => { expect(a.said).toHaveLength(1) })
    expect(a.said[0]!.message).toEqual({ type: 'records', heads: [{ log: logs[1], seq: 2 }] })
    expect(alone.said).toEqual([])
  })

  it('makes one announcement at a time per thread, the next naming every log pushed meanwhile as far as it then goes', async () => {
    const a = announcer()
    let release!: () => void
    a.hold(new Promise((resolve) => { release = resolve }))
    a.heads.set(logs[0]!, 1)
    a.announce(push(logs[0]!), pushed(1))
    await vi.waitFor(() => { expect(a.said).toHaveLength(1) })
    a.heads.set(logs[0]!, 2)
    a.heads.set(logs[1]!, 4)
    a.announce(push(logs[0]!), pushed(1))
    a.announce(push(logs[1]!), pushed(1))
    expect(a.said).toHaveLength(1)
    release()
    await vi.waitFor(() => { expect(a.said).toHaveLength(2) })
    expect(a.said[1]!.message).toEqual({ type: 'records', heads: [{ log: logs[0], seq: 2 }, { log: logs[1], seq: 4 }] })
  })

  it('names no heads when a push carried more logs than an announcement names', async () => {
    const a = announcer()
    for (const log of logs) a.heads.set(log, 1)
    a.announce(push(...logs), pushed(logs.length))
    await vi.waitFor(() => { expect(a.said).toHaveLength(1) })
    expect(a.said[0]!.message).toEqual({ type: 'records' })
  })
})
