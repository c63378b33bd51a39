/**
 * An album's history as the node reads it from the signed logs
 * (`album.history`), and the activity in words and causal order the page
 * draws from it: who added, renamed and removed photos, who joined, and which
 * record of one log depends on which of another.
 */
import { describe, expect, it, vi } from 'vitest'
import type { HistoryEntryView } from '../../src/protocol/album-messages.ts'
import { activityOf } from '../../src/app/components/activity.ts'
import { causalOrder } from '../../src/app/components/log-order.ts'
import { albumNodesPerTest } from '../helpers/album-node.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { memoryTopicBus } from '../helpers/memory-topics.ts'

const WAIT = { timeout: 30_000, interval: 20 }
const node = albumNodesPerTest()

describe('album history', { timeout: 120_000 }, () => {
  it('reads who did what from the signed logs, in words and in causal order', async () => {
    const follower = memoryFollower()
    const bus = memoryTopicBus()
    const alice = await node({ follower: follower.transport, topics: bus.join().topics })
    const bob = await node({ follower: follower.transport, topics: bus.join().topics })
    await alice.tab.request({ type: 'profile.setName', name: 'Alice' })
    await bob.tab.request({ type: 'profile.setName', name: 'Bob' })
    const { thread } = await alice.tab.request({ type: 'album.create', name: 'Summer' })
    const { photo: beach } = await alice.tab.request({ type: 'photo.add', thread, title: 'Beach' })
    await alice.tab.request({ type: 'photo.add', thread, title: 'Dunes' })
    await alice.tab.request({ type: 'photo.rename', thread, photo: beach, title: 'Beach at dawn' })
    await vi.waitFor(async () => { expect((await follower.replica.heads(thread)).length).toBeGreaterThan(0) }, WAIT)
    const { link } = await alice.tab.request({ type: 'album.invite', thread, base: 'http://127.0.0.1:4173/', role: 'admin' })
    await bob.tab.request({ type: 'album.join', link })
    await vi.waitFor(async () => { expect((await bob.tab.request({ type: 'album.subscribe', thread })).photos).toHaveLength(2) }, WAIT)
    await bob.tab.request({ type: 'photo.remove', thread, photo: beach })

    const { entries } = await bob.tab.request({ type: 'album.history', thread })
    const { members } = await bob.tab.request({ type: 'album.subscribe', thread })
    const words = activityOf(entries, members).map((l) => l.words)
    expect(words).toEqual(expect.arrayContaining([
      'Alice created the album',
      'Alice added 2 photos',
      'Alice renamed “Beach” to “Beach at dawn”',
      'Alice made an invite link for an admin',
      'Bob joined',
      'Bob removed “Beach at dawn”'
    ]))
    // Newest first.
    expect(words.indexOf('Bob removed “Beach at dawn”')).toBeLessThan(words.indexOf('Alice added 2 photos'))

    // Bob's join names Alice's invite: a link between the logs, and the join comes after the invite.
    const order = causalOrder(entries)
    expect(order).toHaveLength(entries.length)
    const join = order.findIndex((e) => e.acl?.some((c) => c.type === 'join'))
    const invite = order.findIndex((e) => e.acl?.some((c) => c.type === 'invite'))
    expect(order[join]!.deps.map((d) => d.record)).toContain(order[invite]!.record)
    expect(invite).toBeLessThan(join)
    for (const log of new Set(order.map((e) => e.log))) {
      const seqs = order.filter((e) => e.log === log).map((e) => e.seq)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    }
  })

  it('refuses a history request for something that is not an album ID, by name', async () => {
    const alice = await node({ follower: memoryFollower().transport, topics: memoryTopicBus().join().topics })
    await expect(alice.tab.request({ type: 'album.history', thread: 'no-such-album' })).rejects.toMatchObject({ name: 'MalformedThreadIdError' })
  })
})

describe('causal order', () => {
  const entry = (log: string, seq: number, time: number, deps: string[] = []): HistoryEntryView =>
    ({ log, seq, record: `${log}${seq}`, time, deps: deps.map((record) => ({ log: record[0]!, record })), kind: 'db', ops: [] })

  it('puts a record after what it depends on even when its writer\'s clock says earlier', () => {
    const order = causalOrder([entry('b', 1, 5, ['a2']), entry('a', 1, 10), entry('a', 2, 20)])
    expect(order.map((e) => e.record)).toEqual(['a1', 'a2', 'b1'])
  })

  it('ignores dependencies outside the window instead of losing records', () => {
    expect(causalOrder([entry('a', 7, 1, ['z1']), entry('a', 8, 2)]).map((e) => e.record)).toEqual(['a7', 'a8'])
  })
})
