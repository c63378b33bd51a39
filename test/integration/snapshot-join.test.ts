/**
 * A join from a published snapshot through a real follower process over
 * libp2p: a writer publishes, the follower keeps the snapshot without being
 * able to read it (a marker in the photos' titles is absent from its disk),
 * and a new member shows every photo from it, then syncs and verifies it.
 */
import { describe, expect, it } from 'vitest'
import { joinFromSnapshot } from '../../src/core/sync/snapshot-join.ts'
import { remoteSnapshotShelf } from '../../src/core/sync/snapshot-shelf.ts'
import { withPullProof } from '../../src/core/sync/engine.ts'
import { startFollowerProcess } from '../helpers/follower-process.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { allBytes } from '../helpers/disk-bytes.ts'
import { followedAlbum, joinerOf } from '../helpers/followed-album.ts'

const MARKER = 'plaintext-marker-7f3a'
const PHOTOS = 60

describe('join from a snapshot through a follower process', { timeout: 120_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('the follower keeps a snapshot it cannot read, and a joiner shows every photo from it, then verifies it', async () => {
    const dataDir = await tempDir('threads-snapshot-', cleanup)
    const follower = await startFollowerProcess(dataDir)
    cleanup(async () => await follower.stop())
    const { album, toFollower, invite } = await followedAlbum(follower, cleanup, async (album) => {
      for (let i = 0; i < PHOTOS; i++) await album.collection('photos').create({ _id: `p${i}`, title: `${MARKER} ${i}`, addedAt: i })
    })
    const snapshot = await album.publishSnapshot()
    await remoteSnapshotShelf(async (r) => await toFollower.request(r)).put(album.id, snapshot)

    const { db: b, thread: joined, transport } = await joinerOf(follower, invite, cleanup)
    const join = await joinFromSnapshot({ thread: joined, replica: b.syncReplica(), transport })
    expect(join.refused).toBeUndefined()
    expect(joined.collection('photos').find({})).toHaveLength(PHOTOS)
    expect((await join.rest).check).toMatchObject({ state: 'verified', by: album.logId })
    expect(joined.dump()).toEqual(album.dump())

    // The follower hands back the sealed snapshot as published. (Its bytes are not looked for on disk:
    // SQLite keeps a large value in overflow pages, so they are not stored in one run.)
    const asMember = withPullProof(transport, b.syncReplica(), joined.id)
    const kept = await remoteSnapshotShelf(async (r) => await asMember.request(r)).latest(album.id)
    expect(kept?.root).toEqual(snapshot.root)
    expect(kept?.blocks.map((block) => Buffer.from(block.bytes).toString('base64'))).toEqual(snapshot.blocks.map((block) => Buffer.from(block.bytes).toString('base64')))
    const stored = await allBytes(dataDir)
    expect(stored.includes(Buffer.from(MARKER))).toBe(false)
    expect(stored.includes(Buffer.from(invite.epochs[0]!.readKey!))).toBe(false)
  })
})
