/**
 * Batches are verified by chain: only the newest record of each run of a log
 * has its own signature checked. A writer can sign a valid record after one
 * whose own signature is bad; both are accepted together. A server must then
 * never end a run it sends at the bad one, or every receiver would refuse it
 * (and stop its pull there). These tests pull such a log through a follower
 * in batches of every size and check the pull never fails.
 */
import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { generateSymmetricKey, open } from '../../src/core/crypto/aead.ts'
import { deterministicRandom } from '../../src/core/crypto/random.ts'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import { epochKeyId } from '../../src/core/acl/epoch-keys.ts'
import { threadIdForGenesis } from '../../src/core/acl/genesis.ts'
import { decodeBlock } from '../../src/core/log/blocks.ts'
import { createRecord, sealRecordNode, type CreatedRecord } from '../../src/core/log/create-record.ts'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { createFollowRequest } from '../../src/core/sync/follow-request.ts'
import { createStoreReplica } from '../../src/core/sync/replica.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'

describe('serving records accepted by chain', () => {
  it('ends every run it sends at a record whose own signature holds, so pulls in any batch size succeed', async () => {
    const random = deterministicRandom('chain-serving')
    const writer = generateLogIdentity(random)
    const nonce = random(16)
    const thread = threadIdForGenesis(writer.logId, nonce).toString()
    const followKey = generateSymmetricKey(random)
    const epoch = { keyId: epochKeyId(followKey), followKey, readKey: generateSymmetricKey(random) }
    // Record 1 is the owner's genesis; records 2–4 carry a signature of zeros; record 5 is validly signed and vouches for them.
    const genesis = await createRecord({ thread, identity: writer, epoch, kind: 'acl', payload: { v: 3, changes: [{ type: 'genesis', nonce, followKeyId: epoch.keyId, x25519: random(32) }] }, prev: null, random })
    const chain: CreatedRecord[] = [genesis]
    for (let i = 1; i < 5; i++) {
      const prev = chain[i - 1]!
      const made = await createRecord({ thread, identity: writer, epoch, payload: { n: i }, prev: { record: prev.record, seq: i }, random })
      if (i === 4) { chain.push(made); break }
      const node = dagCbor.decode(open(followKey, (decodeBlock(made.blocks[0].bytes) as { s: Uint8Array }).s)) as Record<string, unknown>
      const { block } = sealRecordNode({ ...node, sig: new Uint8Array(64) }, epoch, random)
      chain.push({ ...made, record: block.cid, blocks: [block, made.blocks[1], made.blocks[2], made.blocks[3]] })
    }
    const wire = (r: CreatedRecord) => ({ log: writer.logId, record: r.record, blocks: r.blocks })
    const follower = memoryFollower()
    expect((await follower.transport.request(await createFollowRequest({ thread, followKeys: [followKey], member: writer, first: wire(genesis) }))).type).toBe('following')
    const pushed = await follower.transport.request({ v: 2, type: 'push', thread, records: chain.map(wire) })
    expect(pushed).toMatchObject({ type: 'pushed', stored: 4, duplicates: 1, rejected: [] })

    for (const batchSize of [1, 2, 3, 4, 512]) {
      const backend = createMemoryBackend()
      const keys = createKeyBook(backend.meta)
      await keys.putEpoch(thread, { keyId: epoch.keyId, epoch: 0, followKey })
      // The puller is the writer on another device: the follower serves heads and records to members only.
      await keys.putSelf(thread, { log: writer.logId, identitySeed: writer.seed, x25519Secret: random(32) })
      const records = createRecordStore({ backend })
      const replica = createStoreReplica({ records, keys })
      const result = await syncThread({ thread, replica, transport: follower.transport, batchSize })
      expect(result.refused, `batch size ${batchSize}`).toEqual([])
      // The genesis vouches for itself. Batches of 1 to 3 after it can hold no record that does, so nothing more is sent;
      // 4 and more reach record 5 and hold the whole log.
      expect((await records.head(thread, writer.logId))?.seq ?? 0, `batch size ${batchSize}`).toBe(batchSize >= 4 ? 5 : 1)
    }
    expect(follower.abuse()).toBe(0)
  })
})
