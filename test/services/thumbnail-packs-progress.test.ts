/**
 * A join's thumbnails open pack by pack: each pack's thumbnails are told as
 * stored as soon as that pack is in, while a later pack is still on its way,
 * so the first screen of a large album does not wait for its last pack.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { CID } from 'multiformats/cid'
import { BlockNotFoundError } from '../../src/core/errors.ts'
import { encryptMedia, mediaRefValue, packThumbnails, type MediaBlock } from '../../src/core/media/index.ts'
import type { MediaBlocks } from '../../src/services/media-store.ts'
import { loadThumbnailPacks } from '../../src/services/thumbnail-packs.ts'

function memoryBlocks (): MediaBlocks {
  const held = new Map<string, Uint8Array>()
  return {
    get: async (cid) => { const bytes = held.get(cid.toString()); if (bytes === undefined) throw new BlockNotFoundError('not held', cid.toString()); return bytes },
    getLocal: async (cid) => held.get(cid.toString()),
    put: async ({ cid, bytes }) => { held.set(cid.toString(), bytes) },
    putMany: async (many) => { for (const { cid, bytes } of many) held.set(cid.toString(), bytes) },
    delete: async (cids) => { for (const cid of cids) held.delete(cid.toString()) }
  }
}

describe('thumbnail packs, pack by pack', () => {
  it('tells each pack\'s thumbnails as stored once that pack is in, before a later pack arrives', async () => {
    const files: Array<{ root: string, ref: unknown, blocks: MediaBlock[] }> = []
    for (let i = 0; i < 8; i++) {
      const bytes = new Uint8Array(randomBytes(200_000))
      const blocks: MediaBlock[] = []
      const ref = await encryptMedia([bytes], { size: bytes.length, type: 'image/jpeg', put: (b) => { blocks.push(b) } })
      files.push({ root: ref.root.toString(), ref: mediaRefValue(ref), blocks: [blocks.at(-1)!, ...blocks.slice(0, -1)] })
    }
    const packs = await packThumbnails(files.map((f) => f.blocks))
    expect(packs.length).toBeGreaterThan(1)
    const byCid = new Map(packs.map((p) => [p.cid.toString(), p.bytes]))
    // The last pack is held back until the test lets it go.
    let release!: () => void
    const released = new Promise<void>((resolve) => { release = resolve })
    const last = packs.at(-1)!.cid.toString()
    const told: string[][] = []
    let done = false
    const loading = loadThumbnailPacks({
      packs: packs.map((p) => p.cid.toString()),
      thumbnails: files.map((f) => f.ref),
      blocks: memoryBlocks(),
      fetch: async (cid: CID) => { if (cid.toString() === last) await released; return byCid.get(cid.toString())! },
      onStored: (roots) => { told.push([...roots]) }
    }).then((loaded) => { done = true; return loaded })
    await expect.poll(() => told.length, { timeout: 10_000, interval: 10 }).toBe(packs.length - 1)
    expect(done).toBe(false)
    release()
    const loaded = await loading
    expect(loaded.refused).toEqual([])
    // Every thumbnail told once, in the packs that hold them.
    expect(told.flat().sort()).toEqual(files.map((f) => f.root).sort())
  })
})
