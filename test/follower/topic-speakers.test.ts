/**
 * Who may speak on a thread's topic through a follower: peers whose heads,
 * pull or follow request it served, for a while after; not those it refused,
 * not pushers, not another thread's members; bounded per thread.
 */
import { describe, expect, it } from 'vitest'
import type { SyncRequest, SyncResponse } from '../../src/core/sync/messages.ts'
import { createTopicSpeakers, MAX_SPEAKERS_PER_THREAD, SPEAKER_TTL_MS } from '../../follower/topic-speakers.ts'

const heads = (thread: string): SyncRequest => ({ v: 2, type: 'heads', thread })
const served = (thread: string): SyncResponse => ({ v: 2, type: 'heads', thread, heads: [], more: false })
const refused: SyncResponse = { v: 2, type: 'error', name: 'NotAMemberError', message: 'members only' }

describe('topic speakers', () => {
  it('lets a peer speak on a thread once it proved membership there, until its proof is old', () => {
    let now = 0
    const speakers = createTopicSpeakers(() => now)
    speakers.served(heads('t1'), served('t1'), 'member')
    speakers.served(heads('t1'), refused, 'stranger')
    speakers.served({ v: 2, type: 'push', thread: 't1', records: [] }, { v: 2, type: 'pushed', stored: 0, duplicates: 0, rejected: [] }, 'pusher')
    speakers.served(heads('t1'), served('t1'), undefined)
    expect(['member', 'stranger', 'pusher'].map((p) => speakers.maySpeak('t1', p))).toEqual([true, false, false])
    expect(speakers.maySpeak('t2', 'member')).toBe(false)
    now = SPEAKER_TTL_MS + 1
    expect(speakers.maySpeak('t1', 'member')).toBe(false)
    speakers.served(heads('t1'), served('t1'), 'member')
    expect(speakers.maySpeak('t1', 'member')).toBe(true)
  })

  it('remembers at most its bound of peers a thread, forgetting the least recently proven', () => {
    const speakers = createTopicSpeakers(() => 0)
    for (let i = 0; i <= MAX_SPEAKERS_PER_THREAD; i++) speakers.served(heads('t'), served('t'), `p${i}`)
    expect(speakers.maySpeak('t', 'p0')).toBe(false)
    expect(speakers.maySpeak('t', 'p1')).toBe(true)
    expect(speakers.maySpeak('t', `p${MAX_SPEAKERS_PER_THREAD}`)).toBe(true)
  })
})
