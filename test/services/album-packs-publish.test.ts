/**
 * A writer's thumbnail packs from one publication to the next: packs built
 * before are reused while their photos stay, so a publication after a few
 * photos were added reads only the thumbnails of the packs it makes, each
 * once, and a follower is pushed only the packs it lacks; a removed photo's
 * thumbnail is never packed again; the record of built packs outlives a
 * restart; and a joiner unpacks every thumbnail shown from the packs named.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { randomBytes } from 'node:crypto'
import type { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { BlockNotFoundError } from '../../src/core/errors.ts'
import { encryptMedia, mediaRefValue, type MediaBlock } from '../../src/core/media/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { createAlbumPacks, type FollowerBlocks } from '../../src/services/album-packs.ts'
import { PHOTOS, photoSchema } from '../../src/services/album-snapshot.ts'
import { loadThumbnailPacks } from '../../src/services/thumbnail-packs.ts'
import { memoryMediaBlocks } from '../helpers/memory-media.ts'

const THUMBNAIL_BYTES = 60_000

/** A follower's block endpoint in memory: what it was pushed, and which blocks it holds. */
function memoryEndpoint () {
  const held = new Map<string, Uint8Array>()
  let pushed = 0
  const endpoint: FollowerBlocks = {
    get: async (cid) => { const bytes = held.get(cid.toString()); if (bytes === undefined) throw new BlockNotFoundError('not held', cid.toString()); return bytes },
    put: async ({ cid, bytes }) => { pushed += bytes.length; held.set(cid.toString(), bytes) },
    held: async (cids) => cids.map((cid) => held.has(cid.toString()))
  }
  return { endpoint, held, pushed: () => pushed, reset: () => { pushed = 0 } }
}

/** The thumbnail roots a pack block holds (its manifests). */
const rootsIn = (bytes: Uint8Array): string[] => (dagCbor.decode(bytes) as { blocks: Array<[CID, Uint8Array]> }).blocks.flatMap(([cid]) => cid.code === dagCbor.code ? [cid.toString()] : [])

describe('a writer\'s thumbnail packs over publications', { timeout: 60_000 }, () => {
  it('reuses the packs of photos still shown: the next publication reads only new packs\' thumbnails, once, and pushes only what the follower lacks', async () => {
    const backend = createMemoryBackend()
    const media = memoryMediaBlocks()
    /** Thumbnail roots, and how often each was read from this device. */
    const roots = new Set<string>()
    const reads = new Map<string, number>()
    const blocks = { ...media.blocks, getLocal: async (cid: CID) => { const key = cid.toString(); if (roots.has(key)) reads.set(key, (reads.get(key) ?? 0) + 1); return await media.blocks.getLocal(cid) } }
    const thread: ThreadDatabase = await openDatabase({ backend }).createThread()
    thread.collection(PHOTOS, { schema: photoSchema, indexes: ['addedAt'], access: 'creator' })
    let added = 0
    const add = async (): Promise<{ id: string, root: string }> => {
      const bytes = new Uint8Array(randomBytes(THUMBNAIL_BYTES))
      const ref = await encryptMedia([bytes], { size: bytes.length, type: 'image/jpeg', put: async (block: MediaBlock) => { await media.blocks.put(block) } })
      roots.add(ref.root.toString())
      const id = await thread.collection(PHOTOS).create({ title: `photo ${added}`, addedAt: 1_000 + added++, thumbnail: mediaRefValue(ref) })
      return { id, root: ref.root.toString() }
    }
    const follower = memoryEndpoint()
    const publish = async (packs = createAlbumPacks(blocks, backend.meta)) => {
      reads.clear()
      follower.reset()
      const made = await packs.make(thread)
      const pushed = await made.push(follower.endpoint)
      return { cids: made.cids.map((c) => c.toString()), pushed, bytes: follower.pushed(), reads: [...reads.values()] }
    }

    const photos = []
    for (let i = 0; i < 60; i++) photos.push(await add())
    const first = await publish()
    expect(first.cids.length).toBeGreaterThanOrEqual(4)
    // Every thumbnail read once: made, kept in memory, pushed.
    expect(first.reads).toHaveLength(60)
    expect(first.reads.every((n) => n === 1)).toBe(true)
    expect(first.pushed).toMatchObject({ taken: first.cids.length, held: 0 })

    // Five photos more: the packs before the last stay as they are; the last is made again with the new ones.
    for (let i = 0; i < 5; i++) photos.push(await add())
    const second = await publish()
    expect(second.cids.slice(0, first.cids.length - 1)).toEqual(first.cids.slice(0, -1))
    const lastMembers = rootsIn(follower.held.get(first.cids.at(-1)!)!).length
    expect(second.reads).toHaveLength(lastMembers + 5)
    expect(second.reads.every((n) => n === 1)).toBe(true)
    expect(second.pushed.held).toBe(first.cids.length - 1)
    expect(second.bytes).toBeLessThan(2 * 1024 * 1024 + 5 * THUMBNAIL_BYTES)

    // Nothing new, after a restart: nothing read, nothing pushed.
    const third = await publish(createAlbumPacks(blocks, backend.meta))
    expect(third.cids).toEqual(second.cids)
    expect(third.reads).toEqual([])
    expect(third.bytes).toBe(0)

    // A photo of the first pack removed: that pack is made again without it; the others stay.
    const gone = photos[3]!
    await thread.collection(PHOTOS).delete(gone.id)
    const fourth = await publish()
    expect(fourth.cids).not.toContain(second.cids[0])
    for (const cid of second.cids.slice(1, -1)) expect(fourth.cids).toContain(cid)
    for (const cid of fourth.cids) expect(rootsIn(follower.held.get(cid)!)).not.toContain(gone.root)
    expect(fourth.reads.length).toBeLessThan(photos.length / 2)

    // A joiner of this snapshot unpacks every thumbnail shown from its packs.
    const joiner = memoryMediaBlocks()
    const shown = photos.filter((p) => p !== gone)
    const docs = thread.collection(PHOTOS).find({})
    const loaded = await loadThumbnailPacks({ packs: fourth.cids, thumbnails: docs.map((d) => d.thumbnail), blocks: joiner.blocks, fetch: follower.endpoint.get })
    expect(loaded.refused).toEqual([])
    for (const photo of shown) expect(joiner.has(photo.root)).toBe(true)
    expect(joiner.has(gone.root)).toBe(false)
  })
})
