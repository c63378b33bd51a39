/**
 * Log identities. A log is named by its Ed25519 public key written as a libp2p
 * peer ID string (`12D3KooW…`), so log IDs interoperate with libp2p tooling
 * and a log's address book entries are ordinary peer multiaddresses.
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { createSigner, type Signer } from '../crypto/ed25519.ts'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { MalformedLogIdError } from '../errors.ts'

/** A log's private identity: the seed never leaves its owner's key book. */
export interface LogIdentity {
  readonly logId: string
  readonly publicKey: Uint8Array
  readonly seed: Uint8Array
  readonly signer: Signer
}

/** Creates a fresh log identity (a new Ed25519 key pair). */
export function generateLogIdentity (random: RandomSource = secureRandom): LogIdentity {
  return logIdentityFromSeed(random(32))
}

/** Rebuilds a log identity from its stored 32-byte seed. */
export function logIdentityFromSeed (seed: Uint8Array): LogIdentity {
  if (seed.length !== 32) throw new MalformedLogIdError('an Ed25519 seed must be 32 bytes')
  const signer = createSigner(seed)
  return { logId: logIdFromPublicKey(signer.publicKey), publicKey: signer.publicKey, seed, signer }
}

/** The peer ID string of a raw 32-byte Ed25519 public key. */
export function logIdFromPublicKey (publicKey: Uint8Array): string {
  try {
    return peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString()
  } catch (cause) {
    throw new MalformedLogIdError('not a raw Ed25519 public key', { cause })
  }
}

const publicKeys = new Map<string, Uint8Array>()

/** The raw Ed25519 public key inside a log ID; anything else is MalformedLogIdError. */
export function publicKeyFromLogId (logId: string): Uint8Array {
  const cached = publicKeys.get(logId)
  if (cached !== undefined) return cached
  let peerId
  try {
    peerId = peerIdFromString(logId)
  } catch (cause) {
    throw new MalformedLogIdError(`"${logId.slice(0, 80)}" is not a peer ID`, { cause })
  }
  if (peerId.type !== 'Ed25519') throw new MalformedLogIdError(`log IDs are Ed25519 peer IDs, this one is ${peerId.type}`)
  const raw = peerId.publicKey.raw
  if (publicKeys.size > 4096) publicKeys.clear()
  publicKeys.set(logId, raw)
  return raw
}
