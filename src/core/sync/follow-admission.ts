/**
 * What a follower does with a follow request (docs/PROTOCOL.md, "Following").
 * The first follow of a thread must come from its owner and carry the
 * genesis record: the follower checks the record (signature, seq 1 of the
 * signer's log, an ACL event), that the thread ID is the hash of the
 * genesis's owner and nonce, and that the follow key handed over is the one
 * the genesis commits to by key ID; then it stores the key and the record.
 * A later follow must come from a log the follower holds in the thread, or
 * carry that log's first record (its join), which is stored as any pushed
 * record is; it may only hand over follow keys of epochs already held.
 * Anything else is a named error and changes nothing.
 */
import { parseAclBody } from '../acl/codec.ts'
import type { AclChange } from '../acl/types.ts'
import { MalformedRecordError, NotAMemberError, UnknownEpochError, UnsupportedThreadError } from '../errors.ts'
import { epochKeyId, equalBytes } from '../acl/epoch-keys.ts'
import { keyIdText } from '../acl/state.ts'
import { threadIdForGenesis } from '../acl/genesis.ts'
import { parseThreadId, ThreadVariant } from '../ids/thread-id.ts'
import { createKeyring } from '../log/keyring.ts'
import { decryptBody, decryptHeader } from '../log/open-record.ts'
import type { RecordStore } from '../log/record-store.ts'
import { verifyIncomingRecord } from '../log/verify-incoming.ts'
import type { HeldEpoch, KeyBook } from '../storage/key-book.ts'
import { createAdmission } from '../log/admission.ts'
import { atLeast } from '../acl/roles.ts'
import { verifyFollowRequest, type FollowRequest } from './follow-request.ts'

/** Checks a follow request and, when it holds, keeps the thread; a refused request changes nothing. */
export async function admitFollow (request: FollowRequest, store: { readonly records: RecordStore, readonly keys: KeyBook }): Promise<void> {
  const { thread } = request
  if (parseThreadId(thread).variant !== ThreadVariant.AccessControlled) throw new UnsupportedThreadError(`thread ${thread} is not access-controlled; only access-controlled threads are followed`)
  await verifyFollowRequest(request)
  if (await store.keys.holds(thread)) await admitLaterFollow(request, store)
  else await admitFirstFollow(request, store)
}

/**
 * A thread already followed: the signer must be a member of role follow or
 * above (its log held here, or its join brought along and admitted), and each
 * follow key must be one held or one a valid genesis or rotate of the ACL
 * commits to by key ID (a member hands over the keys of a rotation this way).
 */
async function admitLaterFollow (request: FollowRequest, store: { readonly records: RecordStore, readonly keys: KeyBook }): Promise<void> {
  const { thread, by, first } = request
  const known = await store.records.head(thread, by) !== undefined
  if (!known && (first === undefined || first.log !== by)) throw new NotAMemberError(`${by} is not a member of thread ${thread} here`)
  const held = await store.keys.keyring(thread)
  const admission = createAdmission({ thread, records: store.records })
  const acl = await admission.state(held)
  const added: HeldEpoch[] = []
  for (const followKey of request.keys) {
    const keyId = epochKeyId(followKey)
    if (held.followKey(keyId) !== undefined) continue
    const committed = acl.epoch(keyId)
    if (committed === undefined) throw new UnknownEpochError(`follow key ${keyIdText(keyId)} is not committed by any epoch of thread ${thread} held here`)
    added.push({ keyId, epoch: committed.epoch, followKey })
  }
  if (!known) {
    const verified = await verifyIncomingRecord(thread, { ...first!, keys: held })
    if (verified.node.seq !== 1 || verified.node.kind !== 'acl') throw new NotAMemberError(`the record ${by} offers as its first is not an ACL event at seq 1`)
    const [outcome] = await store.records.commitVerified(thread, [{ verified }], { admit: async (items) => await admission.admit(items, held) })
    if (outcome instanceof Error) throw outcome
  }
  const role = (await admission.state(held)).members().find((m) => m.log === by)?.role ?? 'none'
  if (!atLeast(role, 'follow')) throw new NotAMemberError(`${by} has role ${role} in thread ${thread}; following needs follow`)
  for (const epoch of added) await store.keys.putEpoch(thread, epoch)
}

/** A thread not followed yet: only its owner, with the genesis. */
async function admitFirstFollow (request: FollowRequest, store: { readonly records: RecordStore, readonly keys: KeyBook }): Promise<void> {
  const { thread, by, first: genesis } = request
  if (genesis === undefined || genesis.log !== by) throw new NotAMemberError(`thread ${thread} is not followed here yet: its first follow must come from its owner, with the genesis record`)
  const keyring = createKeyring(request.keys.map((followKey) => ({ keyId: epochKeyId(followKey), followKey })))
  const verified = await verifyIncomingRecord(thread, { ...genesis, keys: keyring })
  const { node } = verified
  if (node.seq !== 1 || node.kind !== 'acl') throw new NotAMemberError(`the record offered as genesis of thread ${thread} is not an ACL event at seq 1`)
  const followKey = keyring.followKey(node.key)!
  const [, , header, body] = verified.blocks
  let change: AclChange | undefined
  try {
    change = parseAclBody(decryptBody(body!, decryptHeader(header!, followKey).key)).changes[0]
  } catch (cause) {
    throw new NotAMemberError(`the record offered as genesis of thread ${thread} holds no ACL event`, { cause })
  }
  if (change?.type !== 'genesis') throw new NotAMemberError(`the record offered as genesis of thread ${thread} holds no genesis`)
  let owned: string
  try {
    owned = threadIdForGenesis(by, change.nonce).toString()
  } catch (cause) {
    throw new MalformedRecordError('the genesis nonce is malformed', { cause })
  }
  if (owned !== thread) throw new NotAMemberError(`${by} is not the owner of thread ${thread}: its genesis names another thread`)
  if (!equalBytes(change.followKeyId, node.key)) throw new MalformedRecordError('the genesis is sealed with another epoch than the one it commits to')
  await store.records.ingest({ ...genesis, thread, keys: keyring })
  // The key last: a follower holds a thread exactly when it holds a key of it, and then it holds the genesis.
  await store.keys.putEpoch(thread, { keyId: node.key, epoch: 0, followKey })
}
