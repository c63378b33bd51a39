/**
 * The thumbnail pack format's golden vectors (test/fixtures/thumbnail-pack-v1.json,
 * written by scripts/write-thumbnail-pack-vectors.ts): packing fixed
 * thumbnails gives exactly the fixture's pack blocks, and the fixture's bytes
 * still unpack to the thumbnails they were made from, so the format cannot
 * change without this test saying so.
 */
import { readFileSync } from 'node:fs'
import * as dagCbor from '@ipld/dag-cbor'
import { base16 } from 'multiformats/bases/base16'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { parseMediaRef, readMedia, THUMBNAIL_PACK_VERSION, unpackThumbnails } from '../../../src/core/media/index.ts'
import { buildThumbnailPackVectors } from '../../helpers/thumbnail-pack-vectors.ts'

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/thumbnail-pack-v1.json', import.meta.url), 'utf8'))
const bytes = (hex: string): Uint8Array => base16.baseDecode(hex)

describe('thumbnail pack vectors (version 1)', () => {
  it('are reproduced exactly by this implementation', async () => {
    expect(THUMBNAIL_PACK_VERSION).toBe(1)
    expect(await buildThumbnailPackVectors()).toEqual(fixture)
  }, 60_000)

  it('unpack from their stored bytes to the thumbnails they were made from', async () => {
    const refs = (fixture.small.refs as string[]).map((hex) => parseMediaRef(dagCbor.decode(bytes(hex))))
    const wanted = new Set(refs.map((r) => r.root.toString()))
    const blocks = await unpackThumbnails(CID.parse(fixture.small.pack.cid), bytes(fixture.small.pack.bytes), wanted)
    expect(blocks.map((b) => b.cid.toString())).toEqual(fixture.small.pack.entries)
    const held = new Map(blocks.map((b) => [b.cid.toString(), b.bytes]))
    for (const [n, ref] of refs.entries()) {
      const file = Uint8Array.from({ length: fixture.inputs.small[n] }, (_, i) => (i * 7 + n) % 256)
      expect(await readMedia(ref, async (cid) => held.get(cid.toString()))).toEqual(file)
    }
  })
})
