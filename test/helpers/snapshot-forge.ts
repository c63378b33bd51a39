/** Snapshots made by whoever a test chooses, from an honest one's parts: what a lying or unauthorised publisher sends. */
import * as dagCbor from '@ipld/dag-cbor'
import type { DocState } from '../../src/core/db/doc-state.ts'
import { createPublishedSnapshot, openPublishedSnapshot, readSnapshot, type SnapshotBundle, type SnapshotPosition } from '../../src/core/db/published-snapshot.ts'
import type { ThreadDatabase } from '../../src/core/db/thread-database.ts'
import { logIdentityFromSeed, type LogIdentity } from '../../src/core/ids/log-id.ts'
import type { RecordEnvelope } from '../../src/core/log/record-envelope.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import type { StorageBackend } from '../../src/core/storage/interfaces.ts'

/** The log identity of this device in `thread`, read from its key book. */
export async function identityOf (backend: StorageBackend, thread: string): Promise<LogIdentity> {
  return logIdentityFromSeed((await createKeyBook(backend.meta).self(thread)).identitySeed)
}

/** A snapshot signed by `identity` from an honest one's parts, with whatever the test changes. */
export async function forge (input: { thread: ThreadDatabase, backend: StorageBackend, honest: SnapshotBundle, identity?: LogIdentity, states?: (s: Array<readonly [string, DocState]>) => Array<readonly [string, DocState]>, positions?: (p: SnapshotPosition[]) => SnapshotPosition[] }): Promise<SnapshotBundle> {
  const keys = createKeyBook(input.backend.meta)
  const epoch = (await keys.epochs(input.thread.id)).at(-1)!
  const opened = await openPublishedSnapshot({ thread: input.thread.id, bundle: input.honest, keyring: await keys.keyring(input.thread.id), heads: await input.thread.heads() })
  const { manifest, blocks } = readSnapshot(input.thread.id, input.honest)
  const acl = dagCbor.decode(blocks.get(manifest.acl)!) as RecordEnvelope[]
  return await createPublishedSnapshot({
    thread: input.thread.id,
    identity: input.identity ?? await identityOf(input.backend, input.thread.id),
    epoch: { keyId: epoch.keyId, readKey: epoch.readKey! },
    states: input.states?.([...opened.states]) ?? [...opened.states],
    clock: opened.clock,
    positions: input.positions?.([...opened.positions]) ?? [...opened.positions],
    acl,
    time: Date.now()
  })
}
