/** Builds writers, keys and stores for log tests, deterministically when seeded. */
import { generateSymmetricKey } from '../../src/core/crypto/aead.ts'
import { deterministicRandom, type RandomSource } from '../../src/core/crypto/random.ts'
import { generateLogIdentity, type LogIdentity } from '../../src/core/ids/log-id.ts'
import { createThreadId } from '../../src/core/ids/thread-id.ts'
import { epochKeyId } from '../../src/core/acl/epoch-keys.ts'
import { createKeyring, type EpochKeyring } from '../../src/core/log/keyring.ts'
import { createLogWriter, type LogWriter } from './log-writer.ts'
import { createRecordStore, type RecordStore } from '../../src/core/log/record-store.ts'
import type { StorageBackend } from '../../src/core/storage/interfaces.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'

/** One writer's log: identity, keys, its own store and writer. */
export interface WriterFixture {
  readonly identity: LogIdentity
  readonly followKey: Uint8Array
  readonly readKey: Uint8Array
  /** The one epoch the writer seals with: its key ID and keys. */
  readonly epoch: { readonly keyId: Uint8Array, readonly followKey: Uint8Array, readonly readKey: Uint8Array }
  /** That epoch as a keyring, to open the writer's records. */
  readonly keys: EpochKeyring
  readonly backend: StorageBackend
  readonly store: RecordStore
  readonly writer: LogWriter
}

/** A thread ID and a seeded random source for a test. */
export function threadFixture (seed = 'test'): { thread: string, random: RandomSource } {
  const random = deterministicRandom(seed)
  return { thread: createThreadId({ random }).toString(), random }
}

/** A writer with its own in-memory (or given) backend, sealing with a fresh epoch (or the one given). */
export function writerFixture (thread: string, random: RandomSource, backend: StorageBackend = createMemoryBackend(), given?: WriterFixture['epoch']): WriterFixture {
  const identity = generateLogIdentity(random)
  const followKey = given?.followKey ?? generateSymmetricKey(random)
  const readKey = given?.readKey ?? generateSymmetricKey(random)
  const epoch = { keyId: epochKeyId(followKey), followKey, readKey }
  const store = createRecordStore({ backend })
  let clock = 1_700_000_000_000
  const writer = createLogWriter({ thread, identity, epoch, store, random, now: () => clock++ })
  return { identity, followKey, readKey, epoch, keys: createKeyring([epoch]), backend, store, writer }
}

/** Every key and value of a backend's meta store and every block it was asked to hold, for before/after comparisons. */
export async function snapshotMeta (backend: StorageBackend): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = []
  for await (const [key, value] of backend.meta.list('')) out.push([key, Buffer.from(value).toString('hex')])
  return out
}
