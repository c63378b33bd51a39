/**
 * A database event's record names the media its documents start and stop
 * using (attachments, releases), readable with the follow key alone.
 */
import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { open } from '../../src/core/crypto/aead.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { recordEnvelopeParts } from '../../src/core/log/blocks.ts'
import { parseRecordNode, type RecordNode } from '../../src/core/log/record-format.ts'
import { encryptMedia, mediaRefValue, MEDIA_LIMITS, type MediaRef } from '../../src/core/media/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'

async function mediaRef (seed: number): Promise<MediaRef> {
  return await encryptMedia([new Uint8Array(100).fill(seed)], { size: 100, type: 'image/png', chunkSize: MEDIA_LIMITS.minChunkBytes, put: () => {} })
}

describe('media references in records', () => {
  it('attaches a photo\'s files when it is created, releases the one replaced, and the rest when it is deleted', async () => {
    const db = openDatabase({ backend: createMemoryBackend() })
    const thread = await db.createThread()
    const { epochs } = await thread.invite({ role: 'follow' })
    const followKey = epochs[0]!.followKey
    const nodes = async (): Promise<RecordNode[]> => (await thread.exportRecords()).map((r) => {
      const { sealed } = recordEnvelopeParts(r.blocks[0]!.bytes, 'record')
      return parseRecordNode(dagCbor.decode(open(followKey, sealed)))
    })
    const [original, thumbnail, newThumbnail] = [await mediaRef(1), await mediaRef(2), await mediaRef(3)]
    const photos = thread.collection('photos')
    await photos.create({ _id: 'p1', title: 'Beach', media: { original: mediaRefValue(original), thumbnail: mediaRefValue(thumbnail) } })
    await photos.update('p1', { title: 'Beach at noon' })
    await photos.update('p1', { media: { original: mediaRefValue(original), thumbnail: mediaRefValue(newThumbnail) } })
    await photos.delete('p1')
    const data = (await nodes()).filter((n) => n.kind === 'data')
    const roots = (...refs: MediaRef[]): string[] => refs.map((r) => r.root.toString()).sort()
    expect(data.map((n) => [n.attachments, n.releases])).toEqual([
      [roots(original, thumbnail), undefined],
      [undefined, undefined],
      [roots(newThumbnail), roots(thumbnail)],
      [undefined, roots(original, newThumbnail)]
    ])
    await db.close()
  })
})
