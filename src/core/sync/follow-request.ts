/**
 * Follow requests (record format 3): a member asks a follower to keep a
 * thread, handing over the follow keys of the epochs it knows, never read
 * keys. The request is signed by the member's log key and may carry the
 * signer's first record. A thread's first follow must come from its owner
 * and carry the genesis record, which binds the thread ID to the owner's log
 * (see follow-admission.ts); later ones must come from a member, whose join
 * the request may carry.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { verifySignature } from '../crypto/ed25519.ts'
import { BadSignatureError } from '../errors.ts'
import { publicKeyFromLogId, type LogIdentity } from '../ids/log-id.ts'
import { SYNC_VERSION, type SyncRequest, type RecordEnvelope } from './messages.ts'

/** A follow request as exchanged. */
export type FollowRequest = Extract<SyncRequest, { type: 'follow' }>

const signedBytes = (request: { thread: string, keys: readonly Uint8Array[], by: string, first?: RecordEnvelope }): Uint8Array =>
  dagCbor.encode({ purpose: 'threads/v3/follow', thread: request.thread, keys: [...request.keys], by: request.by, first: request.first?.record ?? null })

/** Builds a signed follow request. */
export async function createFollowRequest (input: { readonly thread: string, readonly followKeys: readonly Uint8Array[], readonly member: LogIdentity, readonly first?: RecordEnvelope }): Promise<FollowRequest> {
  const unsigned = { thread: input.thread, keys: input.followKeys, by: input.member.logId, ...(input.first === undefined ? {} : { first: input.first }) }
  const sig = await input.member.signer.sign(signedBytes(unsigned))
  return { v: SYNC_VERSION, type: 'follow', ...unsigned, sig }
}

/** Checks a follow request's signature; throws BadSignatureError otherwise. Who may sign is the follower's rule. */
export async function verifyFollowRequest (request: FollowRequest): Promise<void> {
  const ok = await verifySignature(publicKeyFromLogId(request.by), request.sig, signedBytes(request))
  if (!ok) throw new BadSignatureError(`follow request for thread ${request.thread} is not signed by ${request.by}`)
}
