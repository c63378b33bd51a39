/**
 * Pull proofs: a follower answers `heads` and `pull` for a thread only to a
 * member. The requester signs dag-cbor({ purpose: 'threads/v3/pull', thread,
 * peer }) with its log key; `peer` is the requester's own libp2p peer ID
 * (the follower compares it with the connection's remote peer, so a proof
 * seen on one connection is worth nothing on another) or, over HTTP, where
 * there is no peer identity, the time in milliseconds, which the follower
 * accepts within ±2 minutes of its clock. Who may pull (role follow or above
 * in the thread's ACL) is the replica's rule; any failure is the same
 * NotAMemberError, so a stranger learns nothing but that the thread exists.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { verifySignature } from '../crypto/ed25519.ts'
import { MalformedMessageError, NotAMemberError } from '../errors.ts'
import { publicKeyFromLogId, type LogIdentity } from '../ids/log-id.ts'
import { wireLogId } from './wire-ids.ts'

/** The purpose a pull proof signs, so the log key's signature means nothing else. */
export const PULL_PURPOSE = 'threads/v3/pull'

/** How far a timestamp proof may be from the follower's clock, either way. */
export const PULL_PROOF_WINDOW_MS = 2 * 60 * 1000

/** Longest peer ID text a proof may name. */
const MAX_PEER_LENGTH = 128

/** A requester's proof that it is a member, carried by heads and pull requests. */
export interface PullProof {
  /** The signing member's log ID. */
  readonly by: string
  /** The requester's own peer ID (libp2p), or the time in ms (HTTP). */
  readonly peer: string | number
  readonly sig: Uint8Array
}

const signedBytes = (thread: string, peer: string | number): Uint8Array => dagCbor.encode({ purpose: PULL_PURPOSE, thread, peer })

/** Signs a pull proof for `thread` with `member`'s log key. */
export async function createPullProof (input: { readonly thread: string, readonly peer: string | number, readonly member: LogIdentity }): Promise<PullProof> {
  return { by: input.member.logId, peer: input.peer, sig: await input.member.signer.sign(signedBytes(input.thread, input.peer)) }
}

/** Checks the shape of a proof read from the wire (MalformedMessageError otherwise). */
export function parsePullProof (value: unknown): PullProof {
  const m = value as Record<string, unknown> | null
  if (m === null || typeof m !== 'object' || Array.isArray(m) || Object.keys(m).some((k) => k !== 'by' && k !== 'peer' && k !== 'sig')) throw new MalformedMessageError('malformed pull proof')
  const peerOk = (typeof m.peer === 'string' && m.peer.length > 0 && m.peer.length <= MAX_PEER_LENGTH) || (Number.isSafeInteger(m.peer) && (m.peer as number) >= 0)
  if (!peerOk || !(m.sig instanceof Uint8Array) || m.sig.length !== 64) throw new MalformedMessageError('malformed pull proof')
  return { by: wireLogId(m.by), peer: m.peer as string | number, sig: m.sig }
}

/**
 * Checks that `proof` was signed for `thread` by its log on this connection:
 * `remotePeer` when the transport knows the requester's peer ID, else a time
 * within PULL_PROOF_WINDOW_MS of `now`. Returns the signing log; anything
 * else (no proof included) is NotAMemberError.
 */
export async function verifyPullProof (input: { readonly thread: string, readonly proof: PullProof | undefined, readonly remotePeer?: string, readonly now: number }): Promise<string> {
  const { thread, proof } = input
  const refused = new NotAMemberError(`thread ${thread} is served only to its members: sign a pull proof with a member's log key`)
  if (proof === undefined) throw refused
  const peerMatches = input.remotePeer === undefined
    ? typeof proof.peer === 'number' && Math.abs(proof.peer - input.now) <= PULL_PROOF_WINDOW_MS
    : proof.peer === input.remotePeer
  if (!peerMatches || !await verifySignature(publicKeyFromLogId(proof.by), proof.sig, signedBytes(thread, proof.peer))) throw refused
  return proof.by
}
