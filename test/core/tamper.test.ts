import { describe, expect, it } from 'vitest'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import type { ReceivedRecord, VerifiedRecord } from '../../src/core/log/verify-incoming.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { snapshotMeta, threadFixture, writerFixture } from '../helpers/log-fixture.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const TYPED = new Set(['BadCidError', 'TooLargeError', 'MalformedRecordError', 'DecryptError', 'BadSignatureError', 'UnsupportedVersionError', 'UnknownEpochError'])

describe('tampering', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('detects every single flipped byte of every block of a received record and stores nothing', async () => {
    const { thread, random } = threadFixture('tamper-incoming')
    const alice = writerFixture(thread, random)
    await alice.writer.append({ first: true })
    const { record } = await alice.writer.append({ photo: 'x'.repeat(200) })
    const blocks = await alice.store.recordBlocks(record, alice.keys)
    const first = await alice.store.recordAt(thread, alice.identity.logId, 1)

    const receiverBackend = createMemoryBackend()
    const receiver = createRecordStore({ backend: receiverBackend })
    await receiver.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record: first!, blocks: await alice.store.recordBlocks(first!, alice.keys) })
    const before = await snapshotMeta(receiverBackend)

    let flips = 0
    const names = new Map<string, number>()
    for (let b = 0; b < blocks.length; b++) {
      for (let i = 0; i < blocks[b]!.bytes.length; i++) {
        const tampered = blocks.map((block, j) => {
          if (j !== b) return block
          const bytes = block.bytes.slice()
          bytes[i] = bytes[i]! ^ 0x01
          return { cid: block.cid, bytes }
        })
        const error = await receiver.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record, blocks: tampered }).then(() => undefined, (e: Error) => e)
        expect(error, `flip of byte ${i} of block ${b} was accepted`).toBeInstanceOf(Error)
        expect(TYPED.has(error!.name), `flip of byte ${i} of block ${b} gave ${error!.name}: ${error!.message}`).toBe(true)
        names.set(error!.name, (names.get(error!.name) ?? 0) + 1)
        flips++
      }
    }
    expect(flips).toBe(blocks.reduce((n, block) => n + block.bytes.length, 0))
    // A flip in the record envelope fails its framing, names an epoch not held (one of the 16 bytes of
    // its key ID) or fails authentication; in any other block, its CID check.
    const envelope = blocks[0]!.bytes.length
    expect(names.get('BadCidError')).toBe(flips - envelope)
    expect(names.get('UnknownEpochError')).toBe(16)
    expect((names.get('DecryptError') ?? 0) + (names.get('MalformedRecordError') ?? 0) + (names.get('TooLargeError') ?? 0) + 16).toBe(envelope)
    expect(await snapshotMeta(receiverBackend)).toEqual(before)
    expect(await receiverBackend.blocks.has(record)).toBe(false)
    // The intact record is still accepted afterwards.
    expect((await receiver.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record, blocks })).status).toBe('stored')
  })

  it('detects a flipped byte in any block at rest when reading back', async () => {
    const { thread, random } = threadFixture('tamper-at-rest')
    const alice = writerFixture(thread, random)
    const { record } = await alice.writer.append({ photo: 'y'.repeat(100) })
    const blocks = await alice.store.recordBlocks(record, alice.keys)
    for (const [b, block] of blocks.entries()) {
      for (const i of [0, Math.floor(block.bytes.length / 2), block.bytes.length - 1]) {
        const corrupted = block.bytes.slice()
        corrupted[i] = corrupted[i]! ^ 0x80
        await alice.backend.blocks.putMany([{ cid: block.cid, bytes: corrupted }])
        const error = await alice.store.openEvent(record, alice.keys).then(() => undefined, (e: Error) => e)
        // The record envelope is checked by opening it (its bytes are not what its ID hashes); every other block by its CID.
        expect(error?.name).toBe(b === 0 ? (i === 0 ? 'MalformedRecordError' : 'DecryptError') : 'BadCidError')
        await alice.backend.blocks.putMany([block])
      }
    }
    expect((await alice.store.openEvent(record, alice.keys)).payload).toEqual({ photo: 'y'.repeat(100) })
  })

  it('rejects a record signed by a key that is not the log\'s', async () => {
    const { thread, random } = threadFixture('forged')
    const alice = writerFixture(thread, random)
    const mallory = writerFixture(thread, random)
    // Mallory encrypts under Alice's follow key but can only sign as herself.
    const forgedStore = createRecordStore({ backend: createMemoryBackend() })
    const { createLogWriter } = await import('../helpers/log-writer.ts')
    const forger = createLogWriter({ thread, identity: mallory.identity, epoch: alice.epoch, store: forgedStore, random })
    const { record } = await forger.append({ evil: true })
    const blocks = await forgedStore.recordBlocks(record, alice.keys)
    await expect(alice.store.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record, blocks }))
      .rejects.toMatchObject({ name: 'MalformedRecordError' })
  })

  it('rejects a record that names the log but carries another key\'s signature with BadSignatureError', async () => {
    const { thread, random } = threadFixture('impersonation')
    const alice = writerFixture(thread, random)
    const mallory = writerFixture(thread, random)
    const dagCbor = await import('@ipld/dag-cbor')
    const { createRecord, sealRecordNode } = await import('../../src/core/log/create-record.ts')
    const { signedPart } = await import('../../src/core/log/record-format.ts')
    const genuine = await createRecord({ thread, identity: alice.identity, epoch: alice.epoch, payload: { evil: true }, prev: null, random })
    const signed = signedPart(genuine.node)
    const sig = await mallory.identity.signer.sign(dagCbor.encode(signed))
    const forged = sealRecordNode({ ...signed, sig }, alice.epoch, random).block
    const before = await snapshotMeta(alice.backend)
    await expect(alice.store.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record: forged.cid, blocks: [forged, ...genuine.blocks.slice(1)] }))
      .rejects.toMatchObject({ name: 'BadSignatureError' })
    expect(await snapshotMeta(alice.backend)).toEqual(before)
  })

  it('names every link of a received record in its canonical text, whatever other texts came with its blocks', async () => {
    const { thread, random } = threadFixture('tamper-link-names')
    const alice = writerFixture(thread, random)
    const { record } = await alice.writer.append({ first: true })
    const blocks = await alice.store.recordBlocks(record, alice.keys)
    const [, event, header, body] = blocks
    // The same header and body again under mixed-case spellings of their CIDs (which multiformats decodes), sent last.
    const respelt = [header!, body!].map((b) => ({ cid: `${b.cid.slice(0, 8)}${b.cid.slice(8, 30).toUpperCase()}${b.cid.slice(30)}`, bytes: b.bytes }))
    const receiver = createRecordStore({ backend: createMemoryBackend() })
    const [verified] = await receiver.verifyMany(thread, [{ log: alice.identity.logId, keys: alice.keys, record, blocks: [...blocks, ...respelt] }])
    expect(verified).not.toBeInstanceOf(Error)
    if (verified instanceof Error || verified === undefined) return
    expect(verified.node.event).toBe(event!.cid)
    expect(verified.links).toEqual({ header: header!.cid, body: body!.cid })
    expect(verified.blocks.map((b) => b.cid)).toEqual(blocks.map((b) => b.cid))
  })

  it('names a prev in its canonical text, by the record before it in the batch or printed when that is spelt otherwise', async () => {
    const { thread, random } = threadFixture('tamper-prev-names')
    const alice = writerFixture(thread, random)
    const first = (await alice.writer.append({ n: 1 })).record
    const second = (await alice.writer.append({ n: 2 })).record
    const envelope = async (record: string, spelt = record): Promise<ReceivedRecord> => ({
      log: alice.identity.logId,
      keys: alice.keys,
      record: spelt,
      blocks: (await alice.store.recordBlocks(record, alice.keys)).map((b) => ({ cid: b.cid === record ? spelt : b.cid, bytes: b.bytes }))
    })
    const receiver = createRecordStore({ backend: createMemoryBackend() })
    const [, named] = await receiver.verifyMany(thread, [await envelope(first), await envelope(second)])
    expect(named).not.toBeInstanceOf(Error)
    expect((named as VerifiedRecord).node.prev).toBe(first)
    // The record before it written with upper-case digits: refused itself, and never a name.
    const upper = `${first.slice(0, 10)}${first.slice(10).toUpperCase()}`
    const [refused, printed] = await receiver.verifyMany(thread, [await envelope(first, upper), await envelope(second)])
    expect(refused).toEqual(expect.objectContaining({ name: 'BadCidError' }))
    expect((printed as VerifiedRecord).node.prev).toBe(first)
  })
})
