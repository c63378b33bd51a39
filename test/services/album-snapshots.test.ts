/**
 * Published snapshots in the album service: a writer's device publishes a
 * snapshot of an album to the follower once enough has been written, and a
 * person joining shows every photo from it before any record is pulled; the
 * records then arrive and the snapshot is checked against them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { readSignedSnapshot } from '../../src/core/db/published-snapshot.ts'
import type { SyncTransport } from '../../src/core/sync/engine.ts'
import { startAlbumNode, type AlbumNode } from '../helpers/album-node.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { memoryTopicBus } from '../helpers/memory-topics.ts'

const WAIT = { timeout: 30_000, interval: 20 }
const PHOTOS = 12
const nodes: AlbumNode[] = []
afterEach(async () => { for (const node of nodes.splice(0)) await node.close() })

/** A transport whose pulls wait until `release` is called, noting every request type in order. */
function holdingPulls (transport: SyncTransport): { transport: SyncTransport, seen: string[], release: () => void } {
  const seen: string[] = []
  let release = (): void => {}
  const released = new Promise<void>((resolve) => { release = resolve })
  return {
    seen,
    release: () => { release() },
    transport: {
      request: async (request, options) => {
        seen.push(request.type)
        if (request.type === 'pull') await released
        return await transport.request(request, options)
      }
    }
  }
}

describe('album snapshots', { timeout: 120_000 }, () => {
  it('a joiner sees every photo from a writer\'s snapshot before any record is pulled, then syncs and checks it', async () => {
    const follower = memoryFollower()
    const bus = memoryTopicBus()
    const alice = await startAlbumNode({ follower: follower.transport, topics: bus.join().topics, snapshots: { everyRecords: 1, minIntervalMs: 0 } })
    nodes.push(alice)
    const { thread } = await alice.tab.request({ type: 'album.create', name: 'Trip' })
    for (let i = 0; i < PHOTOS; i++) await alice.tab.request({ type: 'photo.add', thread, title: `photo ${i}` })
    const { link } = await alice.tab.request({ type: 'album.invite', thread, base: 'http://127.0.0.1:4173/', role: 'read' })
    await vi.waitFor(async () => { expect((await alice.tab.request({ type: 'album.subscribe', thread })).sync).toMatchObject({ state: 'synced', pending: 0 }) }, WAIT)
    // Alice's device publishes after each sync that carried new records; the follower keeps the newest, which
    // in time covers every record it holds (an earlier one, covering fewer photos, may be kept for a while).
    const held = await follower.replica.heads(thread)
    await vi.waitFor(async () => {
      const latest = await follower.replica.snapshots!.latest(thread)
      expect(latest).toBeDefined()
      expect((await readSignedSnapshot(thread, latest!)).manifest.vector.map(([log, seq]) => ({ log, seq }))).toEqual(held.map(({ log, seq }) => ({ log, seq })).sort((a, b) => (a.log < b.log ? -1 : 1)))
    }, WAIT)
    const aliceView = await alice.tab.request({ type: 'album.subscribe', thread })
    const shown = aliceView.photos.map((p) => p.title).sort()
    const aliceLog = aliceView.members.find((m) => m.you)?.log

    const wire = holdingPulls(follower.transport)
    const bob = await startAlbumNode({ follower: wire.transport, topics: bus.join().topics })
    nodes.push(bob)
    await bob.tab.request({ type: 'album.join', link })
    const before = await bob.tab.request({ type: 'album.subscribe', thread })
    expect(wire.seen).toContain('snapshot-get')
    // No record has been pulled (pulls are held), yet every photo the snapshot covers shows, by its author's name.
    expect(before.photos.length).toBeGreaterThanOrEqual(PHOTOS)
    expect(shown).toEqual(expect.arrayContaining(before.photos.map((p) => p.title)))
    expect(before.photos.map((p) => p.author)).toEqual(before.photos.map(() => aliceLog))

    wire.release()
    await vi.waitFor(async () => {
      const after = await bob.tab.request({ type: 'album.subscribe', thread })
      expect(after.photos.map((p) => p.title).sort()).toEqual(shown)
    }, WAIT)
  })
})
