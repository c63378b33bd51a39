/**
 * Admission's epoch check, record by record: in one batch, a record sealed
 * with an epoch the ACL admits and, after it, one naming an epoch the ACL
 * does not admit. Each gets its own answer, whatever the record before it got.
 */
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/core/db/index.ts'
import { createAdmission } from '../../src/core/log/admission.ts'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import type { VerifiedRecord } from '../../src/core/log/verify-incoming.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { deliver } from '../db/replicas.ts'

describe('admission of a batch by epoch', () => {
  it('refuses a record of an epoch the ACL does not admit after one of an epoch it does, and the other way round', async () => {
    const backend = createMemoryBackend()
    const aliceDb = openDatabase({ backend })
    const alice = await aliceDb.createThread()
    const bobDb = openDatabase({ backend: createMemoryBackend() })
    const bob = await bobDb.acceptInvite(await alice.invite({ role: 'write' }))
    await bob.collection('notes').create({ _id: 'n1', text: 'one' })
    await bob.collection('notes').create({ _id: 'n2', text: 'two' })
    const [join, ...notes] = (await bob.exportRecords()).filter((r) => r.log === bob.logId)
    expect(await deliver(alice, [join!])).toEqual([])

    const keys = await createKeyBook(backend.meta).keyring(alice.id)
    const records = createRecordStore({ backend })
    const verified = (await records.verifyMany(alice.id, notes.map((n) => ({ ...n, keys })))) as VerifiedRecord[]
    expect(verified.every((v) => !(v instanceof Error))).toBe(true)
    // The same record, claiming an epoch no genesis or rotation made (admission takes what verification passed).
    const otherEpoch = (v: VerifiedRecord): VerifiedRecord => ({ ...v, node: { ...v.node, key: new Uint8Array(16).fill(9) } })
    const names = (outcomes: ReadonlyArray<VerifiedRecord | Error>): string[] => outcomes.map((o) => o instanceof Error ? o.name : 'admitted')

    expect(names(await createAdmission({ thread: alice.id, records }).admit([verified[0]!, otherEpoch(verified[1]!)], keys))).toEqual(['admitted', 'UnknownEpochError'])
    expect(names(await createAdmission({ thread: alice.id, records }).admit([otherEpoch(verified[0]!), verified[1]!], keys))).toEqual(['UnknownEpochError', 'admitted'])
    await aliceDb.close()
    await bobDb.close()
  })
})
