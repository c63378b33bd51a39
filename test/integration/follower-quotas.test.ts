/**
 * Storage quotas of a real follower process with small quotas: a stranger
 * asking it to follow more threads than one requester may gets
 * `ThreadQuotaError` (over libp2p and HTTP), and filling a thread past its
 * bytes `StorageQuotaError`, both in words, with nothing stored; the quotas
 * hold across a restart; and an honest member's thread keeps syncing.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { startSyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread, type SyncTransport } from '../../src/core/sync/engine.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'

const MAX_BYTES = 200_000

describe('storage quotas of a real follower', { timeout: 180_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('refuses a requester\'s threads past its quota and a thread\'s bytes past its quota, in words, across a restart; honest threads keep syncing', async () => {
    const dataDir = await tempDir('threads-quotas-', cleanup)
    const flags = ['--max-threads-per-requester', '2', '--max-bytes-per-thread', String(MAX_BYTES)]
    let follower: FollowerProcess = await startFollowerProcess(dataDir, { flags })
    cleanup(async () => await follower.stop())
    const peer = await startSyncPeer()
    cleanup(async () => await peer.stop())
    const libp2p = (): SyncTransport => peer.transportTo(follower.multiaddr)
    const http = (): SyncTransport => httpSyncTransport(follower.httpUrl)
    const db = openDatabase({ backend: createMemoryBackend() })
    const newThread = async (name: string): Promise<ThreadDatabase> => await db.createThread({ name })

    // The honest member's thread first, then the stranger's one allowed thread: this address's two.
    const honest = await newThread('Honest')
    expect((await libp2p().request(await honest.followRequest())).type).toBe('following')
    const strangers = await newThread('Stranger 1')
    expect((await http().request(await strangers.followRequest())).type).toBe('following')
    for (const transport of [libp2p(), http()]) {
      const more = await newThread('One too many')
      expect(await transport.request(await more.followRequest())).toMatchObject({ type: 'error', name: 'ThreadQuotaError', message: expect.stringContaining('2 threads') })
      expect(await transport.request({ v: 2, type: 'heads', thread: more.id })).toMatchObject({ type: 'error', name: 'ThreadNotFoundError' })
    }
    // Asking again for a thread already followed takes no new place.
    expect((await libp2p().request(await honest.followRequest())).type).toBe('following')

    // The stranger fills its thread with 50 kB photos until refused (a bounded loop: the quota is four of them).
    let refusal: unknown
    for (let i = 0; i < 10 && refusal === undefined; i++) {
      await strangers.collection('photos').create({ _id: `big${i}`, title: 'big', image: new Uint8Array(randomBytes(50_000)), imageType: 'image/jpeg' })
      refusal = await syncThread({ thread: strangers.id, replica: db.syncReplica(), transport: libp2p() }).then(() => undefined, (error: unknown) => error)
    }
    expect(refusal).toMatchObject({ name: 'SyncRemoteError', remoteName: 'StorageQuotaError', message: expect.stringContaining(`${MAX_BYTES} bytes`) })
    const heldBefore = await libp2p().request({ v: 2, type: 'heads', thread: strangers.id })

    // After a restart the counts are still there: still refused, still nothing more stored.
    await follower.stop()
    follower = await startFollowerProcess(dataDir, { flags })
    await expect(syncThread({ thread: strangers.id, replica: db.syncReplica(), transport: http() })).rejects.toMatchObject({ remoteName: 'StorageQuotaError' })
    expect(await libp2p().request({ v: 2, type: 'heads', thread: strangers.id })).toEqual(heldBefore)
    const after = await newThread('After restart')
    expect(await http().request(await after.followRequest())).toMatchObject({ type: 'error', name: 'ThreadQuotaError' })

    // The honest member's thread syncs as ever.
    await honest.collection('photos').create({ _id: 'h1', title: 'small', image: new Uint8Array(randomBytes(20_000)), imageType: 'image/jpeg' })
    expect(await syncThread({ thread: honest.id, replica: db.syncReplica(), transport: libp2p() })).toMatchObject({ pushed: 1 })
    expect(follower.child.exitCode).toBeNull()
  })
})
