/**
 * Media quotas between threads on a real follower process. A manifest's CID is
 * no secret (the follower asks every connected peer for the blocks it
 * fetches), so a stranger with a thread of its own can attach another album's
 * file in its records. What that thread keeps is charged to it, and when it
 * is past its byte limit only its own keeping is refused: the album that
 * attached the file keeps it, and its writer's push of it is taken.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startSyncPeer, type SyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { encryptMedia, mediaRefValue, type MediaBlock, type MediaRef } from '../../src/core/media/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'

interface MediaStatus { kept: number, complete: number, refused: Array<{ root: string, thread?: string, error: string }> }

/** The thread limit: a 200 KiB file fits beside the records, a 450 KiB file and it together do not. */
const LIMIT = 600 * 1024

describe('a thread past its byte limit cannot make a follower refuse another thread\'s file', { timeout: 240_000 }, () => {
  let dataDir: string
  let follower: FollowerProcess
  let peer: SyncPeer
  const cleanup: Array<() => Promise<unknown>> = []
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
  })

  const status = async (): Promise<MediaStatus> => ((await (await fetch(`${follower.httpUrl}/health`)).json()) as { media: MediaStatus }).media
  const put = async (block: MediaBlock): Promise<Response> => await fetch(`${follower.httpUrl}/v1/blocks/${block.cid.toString()}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.raw' }, body: Buffer.from(block.bytes) })
  /** A file of `size` bytes, encrypted; its blocks are held by no peer, so the follower takes them only pushed. */
  const file = async (size: number, seed: number): Promise<{ ref: MediaRef, blocks: MediaBlock[], manifest: MediaBlock }> => {
    const blocks: MediaBlock[] = []
    const ref = await encryptMedia([new Uint8Array(size).fill(seed)], { size, type: 'image/png', put: async (block) => { blocks.push(block) } })
    return { ref, blocks, manifest: blocks.find((b) => b.cid.equals(ref.root))! }
  }
  const newThread = async (name: string): Promise<{ thread: ThreadDatabase, sync: () => Promise<void> }> => {
    const db = openDatabase({ backend: createMemoryBackend() })
    const thread = await db.createThread({ name })
    expect((await peer.transportTo(follower.multiaddr).request(await thread.followRequest())).type).toBe('following')
    return { thread, sync: async () => { await syncThread({ thread: thread.id, replica: db.syncReplica(), transport: peer.transportTo(follower.multiaddr) }) } }
  }

  let album: Awaited<ReturnType<typeof newThread>>
  let mallory: Awaited<ReturnType<typeof newThread>>

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'threads-media-hostile-'))
    follower = await startFollowerProcess(dataDir, { flags: ['--max-bytes-per-thread', String(LIMIT)] })
    cleanup.push(async () => await follower.stop())
    peer = await startSyncPeer()
    cleanup.push(async () => await peer.stop())
    album = await newThread('album')
    mallory = await newThread('mallory')
    // Mallory fills her own thread's quota with a file of her own.
    const filler = await file(450 * 1024, 9)
    await mallory.thread.collection('photos').create({ _id: 'filler', original: mediaRefValue(filler.ref) })
    await mallory.sync()
    expect((await put(filler.manifest)).status).toBe(204)
  })

  it('a file attached by both while it is being fetched: the album\'s push is taken, Mallory\'s keeping alone is refused with StorageQuotaError', async () => {
    const photo = await file(200 * 1024, 1)
    await album.thread.collection('photos').create({ _id: 'p1', original: mediaRefValue(photo.ref) })
    await album.sync()
    await mallory.thread.collection('photos').create({ _id: 'theirs', original: mediaRefValue(photo.ref) })
    await mallory.sync()

    const manifest = await put(photo.manifest)
    expect(manifest.status, JSON.stringify(await manifest.clone().json().catch(() => null))).toBe(204)
    for (const block of photo.blocks) if (block !== photo.manifest) expect((await put(block)).status).toBe(204)
    await vi.waitFor(async () => {
      const media = await status()
      expect(media.refused.filter((r) => r.root === photo.ref.root.toString()), 'only Mallory\'s keeping refused').toEqual([
        { root: photo.ref.root.toString(), thread: mallory.thread.id, error: expect.stringMatching(/^StorageQuotaError/) as string }
      ])
    }, { timeout: 60_000, interval: 200 })
    // The filler (its chunks never sent) and the album's photo, held whole.
    await vi.waitFor(async () => { expect(await status(), 'the album\'s photo held whole').toMatchObject({ kept: 2, complete: 1 }) }, { timeout: 60_000, interval: 200 })
  })

  it('the same manifest pushed many times at once is charged once', async () => {
    // 250 KiB beside the first photo's 200 KiB fits the album's 600 KiB once, not twice.
    const photo = await file(250 * 1024, 3)
    await album.thread.collection('photos').create({ _id: 'p3', original: mediaRefValue(photo.ref) })
    await album.sync()
    const answers = await Promise.all(Array.from({ length: 6 }, async () => (await put(photo.manifest)).status))
    expect(answers).toEqual(Array(6).fill(204))
    for (const block of photo.blocks) if (block !== photo.manifest) expect((await put(block)).status).toBe(204)
    await vi.waitFor(async () => { expect(await status(), 'the third photo held whole').toMatchObject({ kept: 3, complete: 2 }) }, { timeout: 60_000, interval: 200 })
    expect((await status()).refused.filter((r) => r.root === photo.ref.root.toString())).toEqual([])
    // Released once, refunded once: a 150 KiB file fits again.
    await album.thread.collection('photos').delete('p3')
    await album.sync()
    await vi.waitFor(async () => { expect(await status(), 'the third photo let go').toMatchObject({ kept: 2, complete: 1 }) }, { timeout: 60_000, interval: 200 })
  })

  it('a file held whole already: the thread that attaches it later is charged too, and refused past its limit', async () => {
    const photo = await file(150 * 1024, 2)
    await album.thread.collection('photos').create({ _id: 'p2', original: mediaRefValue(photo.ref) })
    await album.sync()
    for (const block of [photo.manifest, ...photo.blocks.filter((b) => b !== photo.manifest)]) expect((await put(block)).status).toBe(204)
    await vi.waitFor(async () => { expect(await status(), 'the second photo held whole').toMatchObject({ kept: 3, complete: 2 }) }, { timeout: 60_000, interval: 200 })

    await mallory.thread.collection('photos').create({ _id: 'free-ride', original: mediaRefValue(photo.ref) })
    await mallory.sync()
    await vi.waitFor(async () => {
      expect((await status()).refused.filter((r) => r.root === photo.ref.root.toString()), 'Mallory charged for the file she keeps').toEqual([
        { root: photo.ref.root.toString(), thread: mallory.thread.id, error: expect.stringMatching(/^StorageQuotaError/) as string }
      ])
    }, { timeout: 60_000, interval: 200 })
    expect(await status()).toMatchObject({ kept: 3, complete: 2 })
  })
})
