/**
 * Log identities. A log is named by its Ed25519 public key written as a libp2p
 * peer ID string (`12D3KooW…`), so log IDs interoperate with libp2p tooling
 * and a log's address book entries are ordinary peer multiaddresses.
 *
 * A log ID has exactly one accepted spelling: base58btc (no multibase prefix)
 * of the identity multihash of the protobuf public key, that is
 *   base58btc( 00 24 08 01 12 20 || A )
 * for the 32-byte key A. Other spellings libp2p also reads (CIDv1 text,
 * hashed or non-Ed25519 peer IDs, other protobuf layouts) are refused, never
 * normalised, so two spellings can never name one log; and A must pass the
 * Ed25519 key rule (see crypto/ed25519.ts), so no log can be owned by nobody.
 */
import { publicKeyFromProtobuf, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { base58btc } from 'multiformats/bases/base58'
import * as Digest from 'multiformats/hashes/digest'
import { identity } from 'multiformats/hashes/identity'
import { createSigner, publicKeyProblem, type Signer, type SignerFactory } from '../crypto/ed25519.ts'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { MalformedLogIdError } from '../errors.ts'

/** A log's private identity: the seed never leaves its owner's key book. */
export interface LogIdentity {
  readonly logId: string
  readonly publicKey: Uint8Array
  readonly seed: Uint8Array
  readonly signer: Signer
}

/** The length of every valid log ID (52 base58btc characters). */
export const LOG_ID_LENGTH = 52
/** Longer text is refused before decoding; up to this length, other kinds of peer ID are decoded to say what they are. */
const MAX_TEXT_LENGTH = 128
/** libp2p's multicodec for public keys, which CIDv1 spellings of peer IDs carry. */
const LIBP2P_KEY_CODEC = 0x72

/** Creates a fresh log identity (a new Ed25519 key pair). */
export function generateLogIdentity (random: RandomSource = secureRandom): LogIdentity {
  return logIdentityFromSeed(random(32))
}

/** Rebuilds a log identity from its stored 32-byte seed, signing through `signerFor` (WebCrypto by default). */
export function logIdentityFromSeed (seed: Uint8Array, signerFor: SignerFactory = createSigner): LogIdentity {
  if (seed.length !== 32) throw new MalformedLogIdError('an Ed25519 seed must be 32 bytes')
  const signer = signerFor(seed)
  return { logId: logIdFromPublicKey(signer.publicKey), publicKey: signer.publicKey, seed, signer }
}

/** The log ID of a raw 32-byte Ed25519 public key; a key that breaks the key rule is MalformedLogIdError. */
export function logIdFromPublicKey (publicKey: Uint8Array): string {
  const problem = publicKeyProblem(publicKey)
  if (problem !== undefined) throw new MalformedLogIdError(problem)
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString()
}

const publicKeys = new Map<string, Uint8Array>()
const MAX_CACHED = 4096

/**
 * Checks that `logId` is a log ID in its one canonical spelling, with a public
 * key that passes the Ed25519 key rule, and returns that raw 32-byte key.
 * Anything else is MalformedLogIdError saying which rule it breaks.
 */
export function parseLogId (logId: unknown): Uint8Array {
  if (typeof logId !== 'string' || logId.length === 0) throw new MalformedLogIdError('a log ID must be a non-empty string')
  const cached = publicKeys.get(logId)
  if (cached !== undefined) return cached
  const shown = `"${logId.slice(0, 80)}"`
  if (logId.length > MAX_TEXT_LENGTH) throw new MalformedLogIdError(`${shown} is ${logId.length} characters; a log ID is ${LOG_ID_LENGTH}`)
  // CID text can also be valid base58btc, so it is recognised first.
  if (isPeerIdCid(logId)) throw new MalformedLogIdError(`${shown} is a CIDv1 spelling of a peer ID; log IDs are written only in base58btc (12D3KooW…)`)
  let bytes: Uint8Array
  try {
    bytes = base58btc.baseDecode(logId)
  } catch (cause) {
    throw new MalformedLogIdError(`${shown} is not base58btc text`, { cause })
  }
  let digest
  try {
    digest = Digest.decode(bytes)
  } catch (cause) {
    throw new MalformedLogIdError(`${shown} is not a multihash`, { cause })
  }
  if (digest.code !== identity.code) throw new MalformedLogIdError(`${shown} is a hashed peer ID (multihash 0x${digest.code.toString(16)}), as used for RSA keys; a log ID embeds its Ed25519 key`)
  let key
  try {
    key = publicKeyFromProtobuf(digest.digest)
  } catch (cause) {
    throw new MalformedLogIdError(`${shown} does not hold a valid public key: ${(cause as Error).message}`, { cause })
  }
  if (key.type !== 'Ed25519') throw new MalformedLogIdError(`${shown} holds a ${key.type} key; log IDs are Ed25519 keys`)
  const problem = publicKeyProblem(key.raw)
  if (problem !== undefined) throw new MalformedLogIdError(`${shown}: ${problem}`)
  if (peerIdFromPublicKey(key).toString() !== logId) throw new MalformedLogIdError(`${shown} is not the canonical encoding of its key`)
  if (publicKeys.size >= MAX_CACHED) publicKeys.clear()
  publicKeys.set(logId, key.raw)
  return key.raw
}

/** The raw Ed25519 public key inside a log ID (see parseLogId); anything else is MalformedLogIdError. */
export function publicKeyFromLogId (logId: string): Uint8Array {
  return parseLogId(logId)
}

/** Whether text is a CID naming a libp2p public key, the other spelling libp2p gives peer IDs. */
function isPeerIdCid (text: string): boolean {
  try {
    return CID.parse(text).code === LIBP2P_KEY_CODEC
  } catch {
    return false
  }
}
