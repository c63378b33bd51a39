/**
 * A peer that writes any payload it likes to its own log of a thread, as an
 * older, newer or careless implementation could: it joins through an invite
 * (its log opens with a join ACL event), and its records are well signed,
 * chained and sealed with the thread's epoch, so the log layer accepts them
 * whatever they hold.
 */
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { deterministicRandom } from '../../src/core/crypto/random.ts'
import type { EpochKeys } from '../../src/core/acl/types.ts'
import type { DbEvent, Operation } from '../../src/core/db/events.ts'
import type { RecordEnvelope, ThreadDatabase } from '../../src/core/db/index.ts'
import { decryptBody, decryptHeader, openRecordUnsigned } from '../../src/core/log/open-record.ts'
import { createKeyring } from '../../src/core/log/keyring.ts'
import { createJoinChange, type Invite } from '../../src/core/sync/invite.ts'
import { writerFixture } from '../helpers/log-fixture.ts'

/** A raw writer of one log. */
export interface RawPeer {
  readonly log: string
  /** The join ACL event at seq 1 that admits the log, as sync would hand it over. */
  readonly join: RecordEnvelope
  /** Appends `payload` as the log's next record and returns it as sync would hand it over. */
  append(payload: unknown): Promise<RecordEnvelope>
  /** Every record of the log, oldest first. */
  records(): Promise<RecordEnvelope[]>
}

/** A raw peer that joins through `invite` (which must carry read keys), its keys derived from `seed`. */
export async function rawPeer (invite: Invite, seed: string): Promise<RawPeer> {
  const { thread } = invite
  const random = deterministicRandom(seed)
  const epoch = invite.epochs.at(-1)!
  const peer = writerFixture(thread, random, undefined, { keyId: epoch.keyId, followKey: epoch.followKey, readKey: epoch.readKey! })
  const keys = createKeyring(invite.epochs)
  const log = peer.identity.logId
  const envelope = async (record: string): Promise<RecordEnvelope> => ({ log, record, blocks: await peer.store.recordBlocks(record, keys, { thread }) })
  const { changes, deps } = await createJoinChange({ invite, member: peer.identity, x25519: x25519.getPublicKey(random(32)), time: 1_700_000_000_000 })
  const join = await envelope((await peer.writer.append({ v: 3, changes }, { kind: 'acl', deps })).record)
  return {
    log,
    join,
    async append (payload) {
      return await envelope((await peer.writer.append(payload)).record)
    },
    async records () {
      const head = await peer.store.head(thread, log)
      const out: RecordEnvelope[] = []
      for (let seq = 1; head !== undefined && seq <= head.seq; seq++) out.push(await envelope((await peer.store.recordAt(thread, log, seq))!))
      return out
    }
  }
}

/** A database event payload (see docs/PROTOCOL.md, "Database events"). */
export function dbEvent (clock: number, ...ops: Operation[]): { v: 2, type: 'db', clock: number, ops: Operation[] } {
  return { v: 2, type: 'db', clock, ops }
}

/** An incarnation ID named by a readable label (writers pick random ones; any 1 to 32 bytes are valid). */
export const inc = (label: string): Uint8Array => utf8ToBytes(label)

/** The incarnation the latest record of `thread`'s own log created `id` in, read with the read keys of `epochs`, as any member can. */
export async function createdIncarnation (thread: ThreadDatabase, id: string, epochs: readonly EpochKeys[]): Promise<Uint8Array> {
  const latest = (await thread.exportRecords()).filter((r) => r.log === thread.logId).at(-1)!
  const keys = createKeyring(epochs)
  const node = openRecordUnsigned(latest.blocks[0]!, keys)
  const event = decryptBody(latest.blocks[3]!, decryptHeader(latest.blocks[2]!, keys.readKey(node.key)!).key) as DbEvent
  const create = event.ops.find((op) => op.id === id && op.op === 'create')
  if (create === undefined) throw new Error(`the latest record of ${thread.logId} creates no document ${id}`)
  return create.inc
}
