/**
 * Thread key epochs and how their keys reach members.
 *
 * An epoch is a follow key (seals record nodes and ACL headers) and a read key
 * (seals data headers), named by its key ID: the first 16 bytes of
 * sha256(utf8("threads/v3/epoch-key-id") ‖ followKey). Members receive an
 * epoch's keys sealed to their X25519 public key with HPKE (RFC 9180, mode
 * base, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305), with
 * info = utf8("threads/v3/epoch-share") and
 * aad = dag-cbor({ thread, key: keyId, member }), so a share opens only for
 * its member, in its thread, under its key ID. The plaintext is
 * dag-cbor({ followKey, readKey? }); the read key goes only to members of
 * role read or above. Opening checks the follow key against the key ID, so a
 * share cannot smuggle in another epoch's keys.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { BLOCK_DECODE_LIMITS, decodeBoundedDagCbor } from '../bounded-cbor.ts'
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core'
import { x25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { generateSymmetricKey } from '../crypto/aead.ts'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { DecryptError, MalformedAclError, NotShareRecipientError, ShareKeyMismatchError, ShareRoleError, TooComplexError } from '../errors.ts'
import { ACL_SIZES, sharePlaintext } from './codec.ts'
import { atLeast } from './roles.ts'
import type { EpochKeys, KeyId, KeyShare, Role } from './types.ts'

const KEY_ID_DOMAIN = utf8ToBytes('threads/v3/epoch-key-id')
const SHARE_INFO = utf8ToBytes('threads/v3/epoch-share')

/** The 16-byte key ID of the epoch whose follow key this is. */
export function epochKeyId (followKey: Uint8Array): KeyId {
  const input = new Uint8Array(KEY_ID_DOMAIN.length + followKey.length)
  input.set(KEY_ID_DOMAIN)
  input.set(followKey, KEY_ID_DOMAIN.length)
  return sha256(input).slice(0, ACL_SIZES.keyId)
}

/** Fresh keys for a new epoch (at genesis or a rotation). */
export function generateEpochKeys (random: RandomSource = secureRandom): Required<EpochKeys> {
  const followKey = generateSymmetricKey(random)
  return { keyId: epochKeyId(followKey), followKey, readKey: generateSymmetricKey(random) }
}

/** A member's X25519 key pair for receiving epoch keys; the secret stays in its key book. */
export interface X25519KeyPair {
  readonly publicKey: Uint8Array
  readonly secretKey: Uint8Array
}

/** A fresh X25519 key pair. */
export function generateX25519KeyPair (random: RandomSource = secureRandom): X25519KeyPair {
  return x25519KeyPairFromSecret(random(ACL_SIZES.x25519))
}

/** The key pair of a stored 32-byte X25519 secret key. */
export function x25519KeyPairFromSecret (secretKey: Uint8Array): X25519KeyPair {
  if (secretKey.length !== ACL_SIZES.x25519) throw new MalformedAclError(`an X25519 secret key is ${ACL_SIZES.x25519} bytes, not ${secretKey.length}`)
  return { publicKey: x25519.getPublicKey(secretKey), secretKey }
}

let suite: CipherSuite | undefined
function hpke (): CipherSuite {
  suite ??= new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() })
  return suite
}

/** The additional data binding a share to its thread, epoch and member. */
export function shareAad (thread: string, keyId: KeyId, member: string): Uint8Array {
  return dagCbor.encode({ thread, key: keyId, member })
}

/** A member to seal an epoch's keys to, with the role that decides which keys it gets. */
export interface ShareRecipient {
  readonly member: string
  readonly x25519: Uint8Array
  readonly role: Role
}

/**
 * Seals an epoch's keys to each recipient: the follow key to all, the read key
 * only to those of role read or above. A recipient of role none is a
 * ShareRoleError (nothing is sealed). A `random` other than secureRandom
 * makes the ephemeral keys deterministic (HPKE DeriveKeyPair over its bytes),
 * for test vectors only; without one, or with secureRandom, each seal
 * generates its ephemeral key pair natively, a third cheaper. The seals run concurrently (each is
 * a chain of WebCrypto calls; one after another, a rotation to dozens of
 * members and invites spends most of its time waiting between them); the
 * shares come back in recipient order.
 */
export async function sealShares (options: { thread: string, keys: EpochKeys, recipients: readonly ShareRecipient[], random?: RandomSource }): Promise<KeyShare[]> {
  const { thread, keys, recipients } = options
  const refused = recipients.find((r) => !atLeast(r.role, 'follow'))
  if (refused !== undefined) throw new ShareRoleError(`${refused.member} has role ${refused.role}; epoch keys go only to members of role follow or above`)
  const malformed = recipients.find((r) => r.x25519.length !== ACL_SIZES.x25519)
  if (malformed !== undefined) throw new MalformedAclError(`the X25519 key of ${malformed.member} is ${malformed.x25519.length} bytes, not ${ACL_SIZES.x25519}`)
  const suite = hpke()
  // Drawn before any seal starts, in recipient order, so a deterministic source gives the same shares.
  const deterministic = options.random === secureRandom ? undefined : options.random
  const ephemeral = recipients.map(() => deterministic?.(ACL_SIZES.x25519))
  return await Promise.all(recipients.map(async (recipient, i): Promise<KeyShare> => {
    const readKey = atLeast(recipient.role, 'read') ? keys.readKey : undefined
    const ekm = ephemeral[i]
    const sealed = await suite.seal({
      recipientPublicKey: await suite.kem.deserializePublicKey(recipient.x25519),
      info: SHARE_INFO,
      ...(ekm === undefined ? {} : { ekm })
    }, sharePlaintext({ followKey: keys.followKey, readKey }), shareAad(thread, keys.keyId, recipient.member))
    return { member: recipient.member, enc: new Uint8Array(sealed.enc), ct: new Uint8Array(sealed.ct) }
  }))
}

/**
 * Opens a share sealed to `log` under epoch `keyId`. A share for another
 * member is NotShareRecipientError; one that does not authenticate (another
 * recipient's key, thread or key ID) is DecryptError; keys that are not the
 * epoch's are ShareKeyMismatchError.
 */
export async function openShare (options: { thread: string, share: KeyShare, keyId: KeyId, secretKey: Uint8Array, log: string }): Promise<EpochKeys> {
  const { thread, share, keyId, secretKey, log } = options
  if (share.member !== log) throw new NotShareRecipientError(`this share is sealed to ${share.member.slice(0, 60)}, not to ${log.slice(0, 60)}`)
  const suite = hpke()
  let plaintext: Uint8Array
  try {
    plaintext = new Uint8Array(await suite.open({
      recipientKey: await suite.kem.deserializePrivateKey(secretKey),
      enc: share.enc,
      info: SHARE_INFO
    }, share.ct, shareAad(thread, keyId, log)))
  } catch (cause) {
    throw new DecryptError('the key share does not open with this member\'s key for this thread and epoch', { cause })
  }
  const keys = parseSharePlaintext(plaintext)
  if (!equalBytes(epochKeyId(keys.followKey), keyId)) throw new ShareKeyMismatchError('the shared follow key does not belong to the epoch it was shared under')
  return { keyId, ...keys }
}

function parseSharePlaintext (plaintext: Uint8Array): { followKey: Uint8Array, readKey?: Uint8Array } {
  let value: unknown
  try {
    value = decodeBoundedDagCbor(plaintext, BLOCK_DECODE_LIMITS, 'a key share\'s plaintext')
  } catch (cause) {
    if (cause instanceof TooComplexError) throw cause
    throw new MalformedAclError('a key share\'s plaintext is not dag-cbor', { cause })
  }
  const { followKey, readKey, ...rest } = (value ?? {}) as Record<string, unknown>
  const isKey = (k: unknown): k is Uint8Array => k instanceof Uint8Array && k.length === ACL_SIZES.symmetricKey
  if (typeof value !== 'object' || Object.keys(rest).length > 0 || !isKey(followKey) || (readKey !== undefined && !isKey(readKey))) {
    throw new MalformedAclError('a key share\'s plaintext must be { followKey, readKey? } with 32-byte keys')
  }
  return readKey === undefined ? { followKey } : { followKey, readKey }
}

/** Whether two byte arrays are equal. */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
