/**
 * Thumbnail packs through a real follower process: a writer's snapshot names
 * packs of its album's thumbnails, the follower keeps them (pushed, named by
 * the snapshot it keeps) and serves them over HTTP, a stranger's pack is
 * refused, a joiner from the packs shows the same thumbnails as a joiner
 * that replays every record and fetches each thumbnail, and a newer
 * snapshot's packs replace the old ones on the follower.
 */
import { randomBytes } from 'node:crypto'
import { vi, describe, expect, it } from 'vitest'
import { httpBlockFetcher } from '../../src/adapters/http/block-fetch.ts'
import { BlockNotFoundError } from '../../src/core/errors.ts'
import { encryptMedia, mediaRefValue, PACK_LIMITS, packThumbnails, parseMediaRef, readMedia, type MediaBlock, type MediaRef } from '../../src/core/media/index.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { showFromSnapshot } from '../../src/core/sync/snapshot-join.ts'
import { remoteSnapshotShelf } from '../../src/core/sync/snapshot-shelf.ts'
import type { MediaBlocks } from '../../src/services/media-store.ts'
import { loadThumbnailPacks } from '../../src/services/thumbnail-packs.ts'
import { startFollowerProcess } from '../helpers/follower-process.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { followedAlbum, joinerOf } from '../helpers/followed-album.ts'

const PHOTOS = 60

/** A device's blocks in memory; nothing is fetched from peers. */
function memoryBlocks (): MediaBlocks & { readonly held: Map<string, Uint8Array> } {
  const held = new Map<string, Uint8Array>()
  return {
    held,
    get: async (cid) => { const bytes = held.get(cid.toString()); if (bytes === undefined) throw new BlockNotFoundError('not held', cid.toString()); return bytes },
    getLocal: async (cid) => held.get(cid.toString()),
    put: async ({ cid, bytes }) => { held.set(cid.toString(), bytes) },
    putMany: async (many) => { for (const { cid, bytes } of many) held.set(cid.toString(), bytes) },
    delete: async (cids) => { for (const cid of cids) held.delete(cid.toString()) }
  }
}

/** A thumbnail's bytes encrypted as the app stores them; its blocks with the manifest first, as a pack takes them. */
async function thumbnailFile (size: number): Promise<{ ref: MediaRef, blocks: MediaBlock[] }> {
  const bytes = new Uint8Array(randomBytes(size))
  const blocks: MediaBlock[] = []
  const ref = await encryptMedia([bytes], { size, type: 'image/jpeg', put: (b) => { blocks.push(b) } })
  return { ref, blocks: [blocks.at(-1)!, ...blocks.slice(0, -1)] }
}

describe('thumbnail packs through a follower process', { timeout: 240_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('keeps and serves a snapshot\'s packs, refuses a stranger\'s, and a joiner from them shows the thumbnails a replaying joiner fetches', async () => {
    const follower = await startFollowerProcess(await tempDir('threads-packs-', cleanup))
    cleanup(async () => await follower.stop())
    const put = async (block: MediaBlock): Promise<Response> => await fetch(`${follower.httpUrl}/v1/blocks/${block.cid.toString()}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.raw' }, body: Buffer.from(block.bytes) })
    const putAll = async (blocks: readonly MediaBlock[]): Promise<void> => { for (const b of blocks) expect((await put(b)).status).toBe(204) }
    const complete = async (): Promise<number> => ((await (await fetch(`${follower.httpUrl}/health`)).json()) as { media: { complete: number } }).media.complete

    const files: MediaBlock[][] = []
    const { album, toFollower, invite, sync } = await followedAlbum(follower, cleanup, async (album) => {
      for (let i = 0; i < PHOTOS; i++) {
        const thumbnail = await thumbnailFile(20_000 + i * 100)
        files.push(thumbnail.blocks)
        await album.collection('photos').create({ _id: `p${i}`, title: `photo ${i}`, thumbnail: mediaRefValue(thumbnail.ref) })
      }
    })
    await putAll(files.map((f) => f[0]!))
    await putAll(files.flatMap((f) => f.slice(1)))
    await vi.waitFor(async () => { expect(await complete()).toBe(PHOTOS) }, { timeout: 60_000, interval: 200 })

    const packs = await packThumbnails(files)
    expect(packs.length).toBe(2)
    const shelf = remoteSnapshotShelf(async (r) => await toFollower.request(r))
    await shelf.put(album.id, await album.publishSnapshot({ thumbs: packs.map((p) => p.cid.toString()) }))
    // A pack no kept snapshot names is a stranger's: refused by name, and not served.
    const [stranger] = await packThumbnails([files[0]!.slice(0, 1)])
    const refused = await put(stranger!)
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ name: 'UnreferencedBlockError' })
    await putAll(packs)
    const fetchBlock = httpBlockFetcher(follower.httpUrl, PACK_LIMITS.maxBlockBytes)
    expect(await fetchBlock(packs[0]!.cid, {})).toEqual(packs[0]!.bytes)
    await expect(fetchBlock(stranger!.cid, {})).rejects.toMatchObject({ name: 'BlockNotFoundError' })

    // Joining from the snapshot and its packs: a request per pack, then every thumbnail opens from this device.
    const { db: b, thread: joined, transport: toBob } = await joinerOf(follower, invite, cleanup)
    const shown = await showFromSnapshot({ thread: joined, replica: b.syncReplica(), transport: toBob })
    expect(shown.refused).toBeUndefined()
    const photos = joined.collection('photos').find({})
    expect(photos).toHaveLength(PHOTOS)
    const blocks = memoryBlocks()
    const loaded = await loadThumbnailPacks({ packs: shown.snapshot!.manifest.thumbs!, thumbnails: photos.map((p) => p.thumbnail), blocks, fetch: fetchBlock })
    expect(loaded).toEqual({ blocks: PHOTOS * 2, refused: [] })

    // Joining by replay: every record, then each thumbnail's blocks fetched one by one.
    const { db: c, thread: replayed, transport: toCarol } = await joinerOf(follower, invite, cleanup)
    await syncThread({ thread: replayed.id, replica: c.syncReplica(), transport: toCarol })
    const one = httpBlockFetcher(follower.httpUrl, PACK_LIMITS.maxBlockBytes)
    for (const photo of replayed.collection('photos').find({})) {
      const ref = parseMediaRef(photo.thumbnail)
      const fromPacks = await readMedia(parseMediaRef(photos.find((p) => p._id === photo._id)!.thumbnail), async (cid) => await blocks.getLocal(cid))
      expect(fromPacks).toEqual(await readMedia(ref, async (cid) => await one(cid, {})))
    }

    // A newer snapshot with packs of its own: the old packs go from the follower.
    const extra = await thumbnailFile(25_000)
    await album.collection('photos').create({ _id: 'p-new', title: 'new', thumbnail: mediaRefValue(extra.ref) })
    await sync()
    const newer = await packThumbnails([...files, extra.blocks])
    await shelf.put(album.id, await album.publishSnapshot({ thumbs: newer.map((p) => p.cid.toString()) }))
    // The new photo went into the second pack; the first is the same block, named again, and kept.
    expect(newer[0]!.cid.equals(packs[0]!.cid)).toBe(true)
    expect(newer[1]!.cid.equals(packs[1]!.cid)).toBe(false)
    await expect(fetchBlock(packs[1]!.cid, {})).rejects.toMatchObject({ name: 'BlockNotFoundError' })
    expect(await fetchBlock(packs[0]!.cid, {})).toEqual(packs[0]!.bytes)
  })
})
