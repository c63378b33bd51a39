import { describe, expect, it } from 'vitest'
import type { MissingDependencyError, EquivocationError } from '../../src/core/errors.ts'
import { createRecord } from '../../src/core/log/create-record.ts'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { snapshotMeta, threadFixture, writerFixture } from '../helpers/log-fixture.ts'

describe('dependencies and positions', () => {
  it('refuses a record whose prev and cross-log dependency are missing, naming both, then accepts it once they arrive', async () => {
    const { thread, random } = threadFixture('deps')
    const alice = writerFixture(thread, random)
    const bob = writerFixture(thread, random)
    const photo = await alice.writer.append({ photo: 1 })
    // Bob has Alice's record and comments on it.
    await bob.store.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record: photo.record, blocks: await alice.store.recordBlocks(photo.record, alice.keys) })
    const first = await bob.writer.append({ hello: true })
    const comment = await bob.writer.append({ comment: 'nice' }, { deps: [{ log: alice.identity.logId, record: photo.record, kind: 'reply' }] })
    expect(comment.node.deps).toEqual([{ log: alice.identity.logId, record: photo.record, kind: 'reply' }])

    const carolBackend = createMemoryBackend()
    const carol = createRecordStore({ backend: carolBackend })
    const before = await snapshotMeta(carolBackend)
    const error = await carol.ingest({ thread, log: bob.identity.logId, keys: bob.keys, record: comment.record, blocks: await bob.store.recordBlocks(comment.record, bob.keys) })
      .then(() => undefined, (e: MissingDependencyError) => e)
    expect(error?.name).toBe('MissingDependencyError')
    expect(error?.missing).toEqual([
      { log: bob.identity.logId, record: first.record },
      { log: alice.identity.logId, record: photo.record }
    ])
    expect(error?.message).toContain(photo.record)
    expect(await snapshotMeta(carolBackend)).toEqual(before)
    expect(await carolBackend.blocks.has(comment.record)).toBe(false)

    await carol.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record: photo.record, blocks: await alice.store.recordBlocks(photo.record, alice.keys) })
    await carol.ingest({ thread, log: bob.identity.logId, keys: bob.keys, record: first.record, blocks: await bob.store.recordBlocks(first.record, bob.keys) })
    const stored = await carol.ingest({ thread, log: bob.identity.logId, keys: bob.keys, record: comment.record, blocks: await bob.store.recordBlocks(comment.record, bob.keys) })
    expect(stored.status).toBe('stored')
    expect(await carol.heads(thread)).toHaveLength(2)
  })

  it('detects equivocation: two records at one position are never both accepted', async () => {
    const { thread, random } = threadFixture('equivocation')
    const alice = writerFixture(thread, random)
    const genesis = await alice.writer.append({ n: 1 })
    const honest = await alice.writer.append({ n: 2 })
    // Alice's key signs a second, different record at seq 2.
    const fork = await createRecord({ thread, identity: alice.identity, epoch: alice.epoch, payload: { n: 'fork' }, prev: { record: genesis.record, seq: 1 }, random })
    expect(fork.record).not.toBe(honest.record)

    const backend = createMemoryBackend()
    const receiver = createRecordStore({ backend })
    for (const r of [genesis, honest]) {
      await receiver.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record: r.record, blocks: await alice.store.recordBlocks(r.record, alice.keys) })
    }
    const before = await snapshotMeta(backend)
    const error = await receiver.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record: fork.record, blocks: fork.blocks })
      .then(() => undefined, (e: EquivocationError) => e)
    expect(error?.name).toBe('EquivocationError')
    expect(error?.seq).toBe(2)
    expect(error?.records).toEqual([honest.record, fork.record])
    expect(await snapshotMeta(backend)).toEqual(before)
    expect(await receiver.head(thread, alice.identity.logId)).toMatchObject({ record: honest.record, seq: 2 })
  })

  it('rejects a first record that claims a later position', async () => {
    const { thread, random } = threadFixture('sequence')
    const alice = writerFixture(thread, random)
    const bogus = await createRecord({ thread, identity: alice.identity, epoch: alice.epoch, payload: 1, prev: null, random })
    // Re-sign a node that says seq 5 with no prev.
    const { signedPart } = await import('../../src/core/log/record-format.ts')
    const dagCbor = await import('@ipld/dag-cbor')
    const { sealRecordNode } = await import('../../src/core/log/create-record.ts')
    const signed = signedPart({ ...bogus.node, seq: 5 })
    const sig = await alice.identity.signer.sign(dagCbor.encode(signed))
    const { block } = sealRecordNode({ ...signed, sig }, alice.epoch, random)
    await expect(alice.store.ingest({ thread, log: alice.identity.logId, keys: alice.keys, record: block.cid, blocks: [block, ...bogus.blocks.slice(1)] }))
      .rejects.toMatchObject({ name: 'BadSequenceError' })
  })
})
