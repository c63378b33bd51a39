/**
 * Follow requests: a thread member asks a follower to keep a thread's logs,
 * handing over follow keys only. The request is signed by the member's log
 * key, and the signer must be one of the logs it grants, so a stranger cannot
 * make a follower store a thread in a member's name.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { verifySignature } from '../crypto/ed25519.ts'
import { BadSignatureError, MalformedMessageError } from '../errors.ts'
import { parseLogId, publicKeyFromLogId, type LogIdentity } from '../ids/log-id.ts'
import { SYNC_VERSION, type FollowGrant, type SyncRequest } from './messages.ts'

type FollowRequest = Extract<SyncRequest, { type: 'follow' }>

const signedBytes = (thread: string, logs: readonly FollowGrant[], by: string): Uint8Array =>
  dagCbor.encode({ purpose: 'threads/follow/v1', thread, logs: logs.map((g) => ({ log: g.log, followKey: g.followKey })), by })

/** Builds a signed follow request. */
export async function createFollowRequest (thread: string, logs: readonly FollowGrant[], member: LogIdentity): Promise<FollowRequest> {
  const sig = await member.signer.sign(signedBytes(thread, logs, member.logId))
  return { v: SYNC_VERSION, type: 'follow', thread, logs, by: member.logId, sig }
}

/** Checks a follow request's signer and signature; throws a typed error otherwise. */
export async function verifyFollowRequest (request: FollowRequest): Promise<void> {
  for (const grant of request.logs) parseLogId(grant.log)
  if (!request.logs.some((g) => g.log === request.by)) throw new MalformedMessageError('a follow request must be signed by one of the logs it grants')
  const ok = await verifySignature(publicKeyFromLogId(request.by), request.sig, signedBytes(request.thread, request.logs, request.by))
  if (!ok) throw new BadSignatureError(`follow request for thread ${request.thread} is not signed by ${request.by}`)
}
