/**
 * Contract for the typed stores core builds on a StorageBackend (key book,
 * address book, thread metadata, records and heads). Run against every backend:
 * memory and files in Node, IndexedDB in real Chromium.
 */
import { describe, expect, it } from 'vitest'
import { generateSymmetricKey } from '../../src/core/crypto/aead.ts'
import { deterministicRandom } from '../../src/core/crypto/random.ts'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import { createThreadId } from '../../src/core/ids/thread-id.ts'
import { epochKeyId } from '../../src/core/acl/epoch-keys.ts'
import { createKeyring } from '../../src/core/log/keyring.ts'
import { createLogWriter } from '../helpers/log-writer.ts'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import { createAddressBook } from '../../src/core/storage/address-book.ts'
import type { StorageBackend } from '../../src/core/storage/interfaces.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createThreadBook } from '../../src/core/storage/thread-book.ts'

/** What a backend under test provides. */
export interface LogStoreContractSetup {
  readonly backend: StorageBackend
  /** Closes and reopens the same storage, when the backend is durable. */
  readonly reopen?: () => Promise<StorageBackend>
  readonly cleanup?: () => Promise<void>
}

/** Registers the log-store contract tests for one backend. */
export function runLogStoreContractTests (name: string, setup: () => Promise<LogStoreContractSetup>): void {
  describe(`log stores over ${name}`, () => {
    const random = deterministicRandom(`contract-${name}`)
    const thread = createThreadId({ random }).toString()

    it('key book: holds epoch keys by key ID and this peer\'s identity, and says what is missing', async () => {
      const { backend, cleanup } = await setup()
      try {
        const keys = createKeyBook(backend.meta)
        const writer = generateLogIdentity(random)
        const [first, second] = [generateSymmetricKey(random), generateSymmetricKey(random)]
        const readKey = generateSymmetricKey(random)
        expect(await keys.holds(thread)).toBe(false)
        await expect(keys.self(thread)).rejects.toMatchObject({ name: 'MissingKeyError' })
        // A follower's copy first (follow key only), then a member's: the read key is added, never dropped.
        await keys.putEpoch(thread, { keyId: epochKeyId(second), epoch: 1, followKey: second })
        await keys.putEpoch(thread, { keyId: epochKeyId(first), epoch: 0, followKey: first, readKey })
        await keys.putEpoch(thread, { keyId: epochKeyId(first), epoch: 0, followKey: first })
        expect((await keys.epochs(thread)).map((e) => e.epoch)).toEqual([0, 1])
        const ring = await keys.keyring(thread)
        expect(ring.followKey(epochKeyId(second))).toEqual(second)
        expect(ring.readKey(epochKeyId(first))).toEqual(readKey)
        expect(ring.readKey(epochKeyId(second))).toBeUndefined()
        expect(ring.followKey(epochKeyId(readKey))).toBeUndefined()
        await keys.putSelf(thread, { log: writer.logId, identitySeed: writer.seed, x25519Secret: readKey })
        expect((await keys.self(thread)).identitySeed).toEqual(writer.seed)
        expect(await keys.holds(thread)).toBe(true)
      } finally { await backend.close(); await cleanup?.() }
    })

    it('address book: returns live addresses, drops expired ones and refuses malformed ones', async () => {
      const { backend, cleanup } = await setup()
      try {
        let now = 1_000_000
        const book = createAddressBook(backend.meta, () => now)
        const log = generateLogIdentity(random).logId
        await book.add(thread, log, ['/ip4/127.0.0.1/tcp/4001/ws'], 60_000)
        await book.add(thread, log, ['/ip4/127.0.0.1/tcp/4002/ws'], 1_000)
        expect((await book.get(thread, log)).map((a) => a.addr).sort()).toEqual(['/ip4/127.0.0.1/tcp/4001/ws', '/ip4/127.0.0.1/tcp/4002/ws'])
        now += 5_000
        expect((await book.get(thread, log)).map((a) => a.addr)).toEqual(['/ip4/127.0.0.1/tcp/4001/ws'])
        await expect(book.add(thread, log, ['not an address'], 1_000)).rejects.toMatchObject({ name: 'MalformedAddressError' })
        await book.remove(thread, log, ['/ip4/127.0.0.1/tcp/4001/ws'])
        expect(await book.get(thread, log)).toEqual([])
      } finally { await backend.close(); await cleanup?.() }
    })

    it('thread book: lists stored threads', async () => {
      const { backend, cleanup } = await setup()
      try {
        const threads = createThreadBook(backend.meta)
        await threads.put({ id: thread, name: 'Summer album', createdAt: 42 })
        expect(await threads.get(thread)).toEqual({ id: thread, name: 'Summer album', createdAt: 42 })
        expect(await threads.list()).toEqual([{ id: thread, name: 'Summer album', createdAt: 42 }])
      } finally { await backend.close(); await cleanup?.() }
    })

    it('records and heads: append, walk, detect corruption at rest, and survive reopening', async () => {
      const { backend, reopen, cleanup } = await setup()
      let current = backend
      try {
        const identity = generateLogIdentity(random)
        const followKey = generateSymmetricKey(random)
        const readKey = generateSymmetricKey(random)
        const keys = createKeyring([{ keyId: epochKeyId(followKey), followKey, readKey }])
        const store = createRecordStore({ backend })
        const writer = createLogWriter({ thread, identity, epoch: { keyId: epochKeyId(followKey), followKey, readKey }, store, random })
        for (let i = 1; i <= 5; i++) await writer.append({ photo: i })
        const head = await store.head(thread, identity.logId)
        expect(head?.seq).toBe(5)

        const blocks = await store.recordBlocks(head!.record, keys)
        const body = blocks[3]!
        const corrupted = body.bytes.slice()
        corrupted[corrupted.length - 1] = corrupted[corrupted.length - 1]! ^ 0xff
        await backend.blocks.putMany([{ cid: body.cid, bytes: corrupted }])
        await expect(store.openEvent(head!.record, keys)).rejects.toMatchObject({ name: 'BadCidError' })
        await backend.blocks.putMany([body])

        if (reopen !== undefined) current = await reopen()
        const reopened = createRecordStore({ backend: current })
        expect(await reopened.head(thread, identity.logId)).toEqual(head)
        const seqs: number[] = []
        for await (const { node } of reopened.walk(thread, identity.logId, keys)) seqs.push(node.seq)
        expect(seqs).toEqual([5, 4, 3, 2, 1])
        expect((await reopened.openEvent(head!.record, keys)).payload).toEqual({ photo: 5 })
      } finally { await current.close(); await cleanup?.() }
    })
  })
}
