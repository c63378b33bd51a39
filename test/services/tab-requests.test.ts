/**
 * A tab's requests across a handover of the node (the dedicated-worker
 * fallback): held until a node leads; on a handover, requests safe to repeat
 * and the latest subscription go to the new leader, and the others are
 * answered at once with a HandoverError in words.
 */
import { describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION } from '../../src/protocol/messages.ts'
import { createTabRequests } from '../../src/services/tab-requests.ts'

const request = (id: number, type: string, fields: Record<string, unknown> = {}) => ({ v: PROTOCOL_VERSION, id, type, ...fields })

describe('tab requests across a handover', () => {
  it('holds requests until a node leads, then repeats or refuses the unanswered ones when another takes over', () => {
    const forwarded: unknown[] = []
    const replies: unknown[] = []
    const tab = createTabRequests({ forward: (data) => forwarded.push(data), reply: (data) => replies.push(data) })

    tab.fromTab(request(1, 'hello'))
    expect(forwarded).toEqual([]) // nobody leads yet
    tab.leaderIs('a')
    expect(forwarded).toEqual([request(1, 'hello')])
    tab.fromNode({ v: PROTOCOL_VERSION, id: 1, type: 'ready' })
    tab.fromTab(request(2, 'album.subscribe', { thread: 't' }))
    tab.fromNode({ v: PROTOCOL_VERSION, id: 2, type: 'album.subscribed' })
    tab.fromTab(request(3, 'photo.add', { thread: 't', title: 'beach' }))
    tab.fromTab(request(4, 'photo.rename', { thread: 't', photo: 'p', title: 'dunes' }))
    tab.fromTab(request(5, 'album.list'))
    tab.fromNode({ v: PROTOCOL_VERSION, id: 5, type: 'album.listed', albums: [] })
    tab.leaderIs('a') // the same leader again: nothing to do
    forwarded.length = 0
    replies.length = 0

    tab.leaderIs('b')
    // The answered subscription, and the unanswered rename, go to the new leader; the list was answered.
    expect(forwarded).toEqual([request(2, 'album.subscribe', { thread: 't' }), request(4, 'photo.rename', { thread: 't', photo: 'p', title: 'dunes' })])
    // The unanswered add may or may not have been saved: the tab is told so at once.
    expect(replies).toEqual([{
      v: PROTOCOL_VERSION,
      type: 'error',
      id: 3,
      error: { name: 'HandoverError', message: expect.stringMatching(/may or may not have been saved/) }
    }])
  })
})
