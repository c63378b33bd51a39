/**
 * The follower link against a stand-in node: it dials when started, retries a
 * failed dial with backoff, redials when the follower disconnects (and not when
 * someone else does), and once stopped (however often) dials no more, has
 * removed its listener and has cut the dial under way.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createFollowerLink, type FollowerLinkNode } from '../../src/services/follower-link.ts'

const FOLLOWER = '12D3KooWGRUVh7eE7Drz3Cqhx9hBUKbMfAUeLnqMZBkMKigYXwsH'
const ADDRESS = `/ip4/127.0.0.1/tcp/4001/ws/p2p/${FOLLOWER}`
const OTHER = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'

function fakeNode (dial: (signal: AbortSignal) => Promise<void>) {
  const events = new EventTarget()
  const signals: AbortSignal[] = []
  let listeners = 0
  const node = {
    dial: async (_address: unknown, { signal }: { signal: AbortSignal }) => { signals.push(signal); await dial(signal) },
    addEventListener: (type: string, listener: EventListener) => { listeners++; events.addEventListener(type, listener) },
    removeEventListener: (type: string, listener: EventListener) => { listeners--; events.removeEventListener(type, listener) }
  }
  return {
    node: node as unknown as FollowerLinkNode,
    signals,
    listeners: () => listeners,
    disconnect: (peer: string) => { events.dispatchEvent(new CustomEvent('peer:disconnect', { detail: peerIdFromString(peer) })) }
  }
}

afterEach(() => { vi.useRealTimers() })

describe('follower link', () => {
  it('dials on start, retries with backoff, redials when the follower drops, and stops for good', async () => {
    vi.useFakeTimers()
    let fail = true
    let hang = false
    const fake = fakeNode(async (signal) => {
      if (hang) await new Promise<void>((_resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason as Error) }) })
      if (fail) throw new Error('unreachable')
    })
    const link = createFollowerLink({ node: fake.node, address: ADDRESS, firstBackoffMs: 100 })
    expect(link.state).toBe('idle')
    expect(fake.signals).toHaveLength(0)
    await link.start()
    expect(link.state).toBe('running')
    await vi.advanceTimersByTimeAsync(0)
    expect(fake.signals).toHaveLength(1)
    expect(link.failures).toBe(1)
    await vi.advanceTimersByTimeAsync(200) // first retry after 100 ms, the next 200 ms after that
    expect(fake.signals).toHaveLength(2)
    fail = false
    await vi.advanceTimersByTimeAsync(400)
    expect(fake.signals).toHaveLength(3)
    expect(link.failures).toBe(0)

    fake.disconnect(OTHER)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fake.signals).toHaveLength(3) // someone else leaving is not our business
    hang = true
    fake.disconnect(FOLLOWER)
    await vi.advanceTimersByTimeAsync(100)
    expect(fake.signals).toHaveLength(4)
    expect(fake.signals[3]!.aborted).toBe(false)

    await Promise.all([link.stop(), link.stop()])
    await link.stop()
    expect(link.state).toBe('stopped')
    expect(fake.signals[3]!.aborted).toBe(true) // the dial under way was cut
    expect(fake.listeners()).toBe(0)
    fake.disconnect(FOLLOWER)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(fake.signals).toHaveLength(4)
    expect(vi.getTimerCount()).toBe(0)
  })
})
