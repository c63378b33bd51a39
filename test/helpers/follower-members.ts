/**
 * An owner's thread at a follower and members who joined it, each a real
 * database on memory storage that asked the follower to follow and synced:
 * the cast of the access-control tests against a real follower process.
 * Also the check that a record is sealed away from every key a member held.
 */
import { expect } from 'vitest'
import type { Role } from '../../src/core/acl/types.ts'
import { openDatabase, type Database, type RecordEnvelope, type ThreadDatabase } from '../../src/core/db/index.ts'
import { createKeyring } from '../../src/core/log/keyring.ts'
import { openHeader, openRecordUnsigned } from '../../src/core/log/open-record.ts'
import type { StorageBackend } from '../../src/core/storage/interfaces.ts'
import { createKeyBook } from '../../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread, type SyncTransport } from '../../src/core/sync/engine.ts'

/** One person's database, thread and storage, and a sync of the thread with the follower. */
export interface FollowerMember {
  readonly db: Database
  readonly thread: ThreadDatabase
  readonly backend: StorageBackend
  sync(): Promise<Awaited<ReturnType<typeof syncThread>>>
}

const member = (db: Database, thread: ThreadDatabase, backend: StorageBackend, transport: SyncTransport): FollowerMember =>
  ({ db, thread, backend, sync: async () => await syncThread({ thread: thread.id, replica: db.syncReplica(), transport }) })

/**
 * The owner's new thread, followed by the follower behind `transport`, and one
 * member per role of `roles`, each joined through its own invite, followed and
 * synced; then the owner syncs, so it holds every join.
 */
export async function membersAtFollower (transport: SyncTransport, roles: readonly Role[]): Promise<{ owner: FollowerMember, members: FollowerMember[] }> {
  const ownerBackend = createMemoryBackend()
  const ownerDb = openDatabase({ backend: ownerBackend })
  const owner = member(ownerDb, await ownerDb.createThread({ name: 'Trip' }), ownerBackend, transport)
  expect(await transport.request(await owner.thread.followRequest())).toMatchObject({ type: 'following' })
  const invites = []
  for (const role of roles) invites.push(await owner.thread.invite({ role }))
  await owner.sync()
  const members: FollowerMember[] = []
  for (const invite of invites) {
    const backend = createMemoryBackend()
    const db = openDatabase({ backend })
    const joined = member(db, await db.acceptInvite(invite), backend, transport)
    expect(await transport.request(await joined.thread.followRequest())).toMatchObject({ type: 'following' })
    await joined.sync()
    members.push(joined)
  }
  await owner.sync()
  return { owner, members }
}

/**
 * Checks that `record`, written after `who` lost access, opens with no key
 * `who` ever held (its record node, and its header under each follow and
 * read key) and carries `marker` nowhere in plaintext.
 */
export async function expectSealedFrom (record: RecordEnvelope, who: FollowerMember | { readonly thread: ThreadDatabase, readonly backend: StorageBackend }, marker: string): Promise<void> {
  const held = await createKeyBook(who.backend.meta).epochs(who.thread.id)
  expect(held.length).toBeGreaterThan(0)
  for (const epoch of held) {
    expect(() => openRecordUnsigned(record.blocks[0]!, createKeyring([epoch]))).toThrow(expect.objectContaining({ name: 'UnknownEpochError' }))
    for (const key of [epoch.followKey, epoch.readKey!]) expect(() => openHeader(record.blocks[2]!, key)).toThrow(expect.objectContaining({ name: 'DecryptError' }))
  }
  for (const block of record.blocks) expect(Buffer.from(block.bytes).includes(Buffer.from(marker))).toBe(false)
}
