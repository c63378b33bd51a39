/**
 * The invite capability. An invite event publishes the public half of a fresh
 * Ed25519 key pair; the seed travels only in the invite link. Whoever holds
 * the link proves it in its join event by signing
 * dag-cbor({ purpose: 'threads/v3/join', thread, log }) with the seed: the
 * proof names the joining log and the thread, so it cannot be replayed for
 * another log or thread, and the invite's public key alone verifies it. The
 * invite also names an X25519 public key whose secret the link carries: each
 * rotation seals the new epoch's keys to it, so a link made before a
 * rotation still reaches the keys written after it.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { base16 } from 'multiformats/bases/base16'
import { equals } from 'multiformats/bytes'
import { createSigner, publicKeyFromSeed, verifySignature, verifySignatureSync } from '../crypto/ed25519.ts'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { MalformedAclError } from '../errors.ts'
import { ACL_SIZES } from './codec.ts'
import { generateX25519KeyPair } from './epoch-keys.ts'
import type { KeyId, Role } from './types.ts'

/** The purpose a join proof signs, so an invite key's signature means nothing else. */
export const JOIN_PURPOSE = 'threads/v3/join'

/** An invite key pair: `seed` goes in the link, `publicKey` in the invite event. */
export interface InviteKey {
  readonly seed: Uint8Array
  readonly publicKey: Uint8Array
}

/** A fresh invite key pair. */
export function generateInviteKey (random: RandomSource = secureRandom): InviteKey {
  return inviteKeyFromSeed(random(32))
}

/** The invite key pair of a seed read from a link. */
export function inviteKeyFromSeed (seed: Uint8Array): InviteKey {
  if (seed.length !== 32) throw new MalformedAclError(`an invite seed is 32 bytes, not ${seed.length}`)
  return { seed, publicKey: publicKeyFromSeed(seed) }
}

/** An invite change and the seed its link carries. */
export interface CreatedInvite {
  readonly change: { readonly type: 'invite', readonly key: Uint8Array, readonly role: Role, readonly expires: number | null, readonly uses: 1 | null, readonly keys: readonly KeyId[], readonly x25519: Uint8Array }
  readonly seed: Uint8Array
  /** The X25519 secret key the link carries next to the seed: later epochs' keys are sealed to its public part. */
  readonly x25519Secret: Uint8Array
}

/**
 * A new invite: the change for the inviting admin's ACL event and the seed for
 * the link. `keys` are the epochs whose keys the link carries; `expires` is in
 * milliseconds since 1970 (null: never); `uses` 1 makes it single-use.
 */
export function createInvite (options: { role: Role, keys: readonly KeyId[], expires?: number | null, uses?: 1 | null, random?: RandomSource }): CreatedInvite {
  const { seed, publicKey } = generateInviteKey(options.random)
  const x25519 = generateX25519KeyPair(options.random)
  return {
    seed,
    x25519Secret: x25519.secretKey,
    change: { type: 'invite', key: publicKey, role: options.role, expires: options.expires ?? null, uses: options.uses ?? null, keys: options.keys, x25519: x25519.publicKey }
  }
}

/** The bytes a join proof signs. */
export function joinProofMessage (thread: string, log: string): Uint8Array {
  return dagCbor.encode({ purpose: JOIN_PURPOSE, thread, log })
}

/** Signs the join proof of `log` for `thread` with the invite seed from a link. */
export async function joinProof (inviteSeed: Uint8Array, thread: string, log: string): Promise<Uint8Array> {
  return await createSigner(inviteKeyFromSeed(inviteSeed).seed).sign(joinProofMessage(thread, log))
}

/** Whether `proof` is the invite key's join proof of `log` for `thread`. */
export async function verifyJoinProof (invitePublicKey: Uint8Array, proof: Uint8Array, thread: string, log: string): Promise<boolean> {
  if (proof.length !== ACL_SIZES.signature) return false
  return await verifySignature(invitePublicKey, proof, joinProofMessage(thread, log))
}

const verified = new Map<string, boolean>()
const MAX_CACHED = 4096

const cacheKey = (invitePublicKey: Uint8Array, proof: Uint8Array, thread: string, log: string): string =>
  `${base16.baseEncode(invitePublicKey)} ${base16.baseEncode(proof)} ${thread} ${log}`

/**
 * Answers kept on the proof's own bytes as well, with the inputs they were
 * for: an ACL's events are decoded once and evaluated again with each batch
 * that brings an ACL event, and writing out the text key of every join of the
 * thread for each evaluation allocated more than the rest of evaluating it.
 */
const byProof = new WeakMap<Uint8Array, { readonly invitePublicKey: Uint8Array, readonly thread: string, readonly log: string, readonly ok: boolean }>()

const remember = (key: string, ok: boolean, invitePublicKey: Uint8Array, proof: Uint8Array, thread: string, log: string): void => {
  if (verified.size >= MAX_CACHED) verified.clear()
  verified.set(key, ok)
  byProof.set(proof, { invitePublicKey, thread, log, ok })
}

/** The answer kept on `proof` for exactly these inputs, if any. */
function answeredFor (invitePublicKey: Uint8Array, proof: Uint8Array, thread: string, log: string): boolean | undefined {
  const known = byProof.get(proof)
  if (known === undefined || known.thread !== thread || known.log !== log) return undefined
  return known.invitePublicKey === invitePublicKey || equals(known.invitePublicKey, invitePublicKey) ? known.ok : undefined
}

/**
 * Checks a join proof ahead of an ACL evaluation through verifyJoinProof
 * (WebCrypto, off the event loop where the platform has it), so that
 * verifyJoinProofSync then answers from memory: evaluating the joins of a
 * batch no longer blocks the process for a JavaScript curve check each.
 */
export async function prepareJoinProof (invitePublicKey: Uint8Array, proof: Uint8Array, thread: string, log: string): Promise<void> {
  if (proof.length !== ACL_SIZES.signature || answeredFor(invitePublicKey, proof, thread, log) !== undefined) return
  const key = cacheKey(invitePublicKey, proof, thread, log)
  const known = verified.get(key)
  remember(key, known ?? await verifyJoinProof(invitePublicKey, proof, thread, log), invitePublicKey, proof, thread, log)
}

/**
 * verifyJoinProof, answered synchronously (for ACL evaluation, which is a
 * pure function). Answers are remembered by their exact inputs, since one ACL
 * is evaluated again each time an event arrives.
 */
export function verifyJoinProofSync (invitePublicKey: Uint8Array, proof: Uint8Array, thread: string, log: string): boolean {
  if (proof.length !== ACL_SIZES.signature) return false
  const answered = answeredFor(invitePublicKey, proof, thread, log)
  if (answered !== undefined) return answered
  const key = cacheKey(invitePublicKey, proof, thread, log)
  const ok = verified.get(key) ?? verifySignatureSync(invitePublicKey, proof, joinProofMessage(thread, log))
  remember(key, ok, invitePublicKey, proof, thread, log)
  return ok
}
