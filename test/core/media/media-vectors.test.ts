import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { base16 } from 'multiformats/bases/base16'
import { CID } from 'multiformats/cid'
import { parseMediaRef, readMedia } from '../../../src/core/media/index.ts'
import { buildMediaVectors } from '../../helpers/media-vectors.ts'

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/media-v1.json', import.meta.url), 'utf8'))
const bytes = (hex: string): Uint8Array => base16.baseDecode(hex)

describe('media format vectors (version 1)', () => {
  it('are reproduced exactly by this implementation', async () => {
    expect(await buildMediaVectors()).toEqual(fixture)
  })

  it('open from their stored bytes to the file they were made from', async () => {
    // Only the last chunk's bytes are in the fixture; the others are rebuilt by the builder and must hash to the fixture's CIDs.
    const built = await buildMediaVectors()
    const blocks = new Map<string, Uint8Array>([[fixture.manifest.cid, bytes(fixture.manifest.bytes)]])
    const { encryptMedia } = await import('../../../src/core/media/index.ts')
    let nonce = 0x51
    const file = Uint8Array.from({ length: fixture.inputs.size }, (_, i) => i % 251)
    await encryptMedia([file], { size: file.length, type: 'image/png', chunkSize: fixture.inputs.chunkSize, key: bytes(fixture.inputs.key), random: (n) => new Uint8Array(n).fill(nonce++), put: (b) => { blocks.set(b.cid.toString(), b.bytes) } })
    expect(base16.baseEncode(blocks.get(fixture.chunks.at(-1).cid)!)).toBe(fixture.chunks.at(-1).bytes)
    const ref = parseMediaRef(dagCbor.decode(bytes(fixture.ref.bytes)))
    expect(ref.root.toString()).toBe(built.manifest.cid)
    expect(await readMedia(ref, async (cid: CID) => blocks.get(cid.toString()))).toEqual(file)
  })
})
