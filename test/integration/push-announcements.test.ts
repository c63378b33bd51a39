/**
 * A real follower's announcements of stored pushes, heard by a member on the
 * thread's topic, under pushes no honest writer sends: records a stranger
 * signed make it say nothing (it stores none of them), and a push mixing them
 * with a member's record names only the heads the follower then holds, never
 * a log it refused; so no pusher can make it announce a head it cannot serve.
 */
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { describe, expect, it, vi } from 'vitest'
import { withBaseOptions } from '../../src/adapters/libp2p/base-options.ts'
import { libp2pSyncTransport } from '../../src/adapters/libp2p/sync-protocol.ts'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { SYNC_VERSION, type RecordEnvelope } from '../../src/core/sync/messages.ts'
import { decodeTopicMessage, type TopicMessage } from '../../src/services/topic-messages.ts'
import { cleanupAfterAll } from '../helpers/cleanup.ts'
import { followerOverHttp } from '../helpers/followed-album.ts'

const WAIT = { timeout: 30_000, interval: 50 }

describe('a real follower announcing stored pushes to hostile pushers', { timeout: 180_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('says nothing for a stranger\'s records and names only heads it holds when they come mixed with a member\'s', async () => {
    const { follower: f, http } = await followerOverHttp('threads-push-announcements-', cleanup)
    const alice = openDatabase({ backend: createMemoryBackend() })
    const thread = await alice.createThread({ name: 'Summer' })
    expect((await http.request(await thread.followRequest())).type).toBe('following')
    const recordsOf = async (db: typeof alice, t: ThreadDatabase, after: number): Promise<RecordEnvelope[]> => await db.syncReplica().recordsAfter(t.id, t.logId, after, 100)
    const ownHead = async (): Promise<number> => (await alice.syncReplica().heads(thread.id)).find((h) => h.log === thread.logId)!.seq

    // A member listening on the thread's topic, proven to the follower as members are.
    const listener: Libp2p<{ pubsub: GossipSub }> = await createLibp2p(withBaseOptions({ services: { pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) } }))
    cleanup(async () => await listener.stop())
    listener.services.pubsub.subscribe(thread.id)
    await listener.dial(multiaddr(f.multiaddr))
    await syncThread({ thread: thread.id, replica: alice.syncReplica(), transport: libp2pSyncTransport(listener, multiaddr(f.multiaddr)) })
    const heard: Array<TopicMessage | undefined> = []
    listener.services.pubsub.addEventListener('message', ({ detail }) => { if (detail.topic === thread.id) heard.push(decodeTopicMessage(detail.data)) })

    // Pushes of a member's photo until the follower's announcements reach the listener (the topic forms within a few heartbeats).
    for (let i = 0; i < 30 && heard.length === 0; i++) {
      const before = await ownHead()
      await thread.collection('photos').create({ title: `Warm-up ${i}` })
      expect(await http.request({ v: SYNC_VERSION, type: 'push', thread: thread.id, records: await recordsOf(alice, thread, before) })).toMatchObject({ stored: 1 })
      await vi.waitFor(() => { expect(heard.length).toBeGreaterThan(0) }, { timeout: 1000, interval: 50 }).catch(() => {})
    }
    await vi.waitFor(() => { expect(heard).toContainEqual({ type: 'records', heads: [{ log: thread.logId, seq: expect.any(Number) }] }) }, WAIT)
    await vi.waitFor(async () => { expect(heard.at(-1)).toEqual({ type: 'records', heads: [{ log: thread.logId, seq: await ownHead() }] }) }, WAIT)
    heard.length = 0

    // A stranger's own signed records, pushed to the thread: refused, stored nowhere, announced never.
    const mallory = openDatabase({ backend: createMemoryBackend() })
    const elsewhere = await mallory.createThread({ name: 'Elsewhere' })
    await elsewhere.collection('photos').create({ title: 'Not yours' })
    const forged = await recordsOf(mallory, elsewhere, 0)
    const refused = await http.request({ v: SYNC_VERSION, type: 'push', thread: thread.id, records: forged })
    expect(refused).toMatchObject({ type: 'pushed', stored: 0 })

    // Then the stranger's records again, each beside a member's new one: only the member's log is named, at the head the follower holds.
    const before = await ownHead()
    await thread.collection('photos').create({ title: 'Beach at dawn' })
    const mixed = await http.request({ v: SYNC_VERSION, type: 'push', thread: thread.id, records: [...forged, ...await recordsOf(alice, thread, before)] })
    expect(mixed).toMatchObject({ type: 'pushed', stored: 1 })
    await vi.waitFor(() => { expect(heard.length).toBeGreaterThan(0) }, WAIT)
    // The first thing said after the refused push is the mixed push's announcement.
    expect(heard[0]).toEqual({ type: 'records', heads: [{ log: thread.logId, seq: before + 1 }] })
    await Promise.all([alice.close(), mallory.close()])
  })
})
