/**
 * The published-snapshot vectors (test/fixtures/snapshot-v1.json): this code
 * builds exactly the fixture's bytes from its inputs, and the fixture's
 * snapshot reads back: its blocks match their CIDs, its signature verifies
 * under the publisher's log key, and its chunk opens with the read key to the
 * documents it was made of. A changed byte of the signature is refused by name.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { hexToBytes } from '@noble/hashes/utils.js'
import { describe, expect, it } from 'vitest'
import { open } from '../../src/core/crypto/aead.ts'
import { readSignedSnapshot } from '../../src/core/db/published-snapshot.ts'
import { decodeChunk, type StoredChunk } from '../../src/core/db/snapshots.ts'
import { encodeBlock, sealedBytesOf } from '../../src/core/log/blocks.ts'
import fixture from '../fixtures/snapshot-v1.json' with { type: 'json' }
import { buildSnapshotVectors } from '../helpers/snapshot-vectors.ts'

const block = (b: { cid: string, bytes: string }): { cid: string, bytes: Uint8Array } => ({ cid: b.cid, bytes: hexToBytes(b.bytes) })

describe('published snapshot vectors', () => {
  it('this code builds the fixture\'s bytes from its inputs', async () => {
    expect(await buildSnapshotVectors()).toEqual(fixture)
  })

  it('the fixture\'s snapshot reads back: CIDs, signature, and the documents inside its sealed chunk', async () => {
    const bundle = { root: block(fixture.root), blocks: fixture.blocks.map(block) }
    const { manifest, blocks } = await readSignedSnapshot(fixture.thread, bundle)
    expect(manifest).toMatchObject({ v: 1, thread: fixture.thread, by: fixture.log, clock: 2, docs: 2, vector: [[fixture.covered.log, 2, fixture.covered.record]] })
    const chunk = dagCbor.decode(open(hexToBytes(fixture.inputs.readKey), sealedBytesOf(blocks.get(manifest.chunks[0]!)!, 'chunk'))) as StoredChunk
    expect(decodeChunk(chunk).map(([coll, s]) => [coll, s.id, s.incarnations[s.current!]!.fields.title!.value])).toEqual([['photos', 'p1', 'beach'], ['photos', 'p2', 'dunes']])

    const root = dagCbor.decode(bundle.root.bytes) as { m: unknown, sig: Uint8Array }
    const forged = encodeBlock({ m: root.m, sig: root.sig.map((b, i) => i === 0 ? b ^ 0x01 : b) })
    await expect(readSignedSnapshot(fixture.thread, { root: { cid: forged.cid, bytes: forged.bytes }, blocks: bundle.blocks })).rejects.toMatchObject({ name: 'SnapshotSignatureError' })
  })
})
