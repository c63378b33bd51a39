/**
 * Builds test/fixtures/protocol-v2-ids.json: log IDs, Ed25519 signatures and
 * thread ID spellings that format 2 accepts or refuses (docs/PROTOCOL.md,
 * Identifiers and Keys). Every input is fixed, so the output is reproducible;
 * the attack vectors are made here with @noble/curves' own point arithmetic.
 */
import { publicKeyFromProtobuf, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToHex, bytesToNumberLE, hexToBytes, numberToBytesLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { base32upper } from 'multiformats/bases/base32'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import { base64url } from 'multiformats/bases/base64'
import { deterministicRandom } from '../../../src/core/crypto/random.ts'
import { createThreadId } from '../../../src/core/ids/thread-id.ts'

const { Point } = ed25519
const L = Point.Fn.ORDER
const P = 2n ** 255n - 19n
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
const le = (n: bigint): Uint8Array => numberToBytesLE(n, 32)
/** k = SHA-512(R || A || M) mod L, the RFC 8032 challenge. */
const challenge = (R: Uint8Array, A: Uint8Array, message: Uint8Array): bigint => bytesToNumberLE(sha512(new Uint8Array([...R, ...A, ...message]))) % L
const signatureHex = (R: Uint8Array, S: bigint): string => bytesToHex(new Uint8Array([...R, ...le(S)]))

/** A peer ID text around a protobuf public key (identity multihash, base58btc). */
const peerIdText = (protobuf: Uint8Array): string => base58btc.baseEncode(new Uint8Array([0x00, protobuf.length, ...protobuf]))
/** A peer ID text claiming an Ed25519 key of any bytes. */
const ed25519PeerIdText = (raw: Uint8Array): string => peerIdText(new Uint8Array([0x08, 0x01, 0x12, raw.length, ...raw]))

export interface IdVectors {
  description: string
  logIds: Array<{ description: string, text: string, error: string | null }>
  signatures: Array<{ description: string, publicKey: string, message: string, sig: string, valid: boolean }>
  threadIds: Array<{ description: string, text: string, error: string | null, canonical: string | null }>
}

/** The vectors, built from fixed inputs. */
export function buildIdVectors (): IdVectors {
  const seed = new Uint8Array(32).fill(7)
  const A = ed25519.getPublicKey(seed)
  const { scalar } = ed25519.utils.getExtendedPublicKey(seed)
  const peerId = peerIdFromPublicKey(publicKeyFromRaw(A))
  const order8 = Point.fromHex(ED25519_TORSION_SUBGROUP[1]!)
  const mixedOrderKey = Point.fromBytes(A).add(order8).toBytes()
  const secp256k1Key = secp256k1.getPublicKey(new Uint8Array(32).fill(9), true)
  const valid = peerId.toString()

  const refused = (description: string, text: string): IdVectors['logIds'][number] => ({ description, text, error: 'MalformedLogIdError' })
  const logIds: IdVectors['logIds'] = [
    { description: 'the canonical spelling of the Ed25519 key of seed 07×32', text: valid, error: null },
    refused('empty string', ''),
    refused('the same key as a CIDv1 (libp2p-key, base32)', peerId.toCID().toString()),
    refused('the same key as a CIDv1 in base36', peerId.toCID().toString(base36)),
    refused('a secp256k1 peer ID', peerIdFromPublicKey(publicKeyFromProtobuf(new Uint8Array([0x08, 0x02, 0x12, 33, ...secp256k1Key]))).toString()),
    refused('a hashed (sha2-256) peer ID, as RSA keys use', 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'),
    refused('an Ed25519 key of 0 bytes', ed25519PeerIdText(new Uint8Array(0))),
    refused('an Ed25519 key of 5 bytes', ed25519PeerIdText(new Uint8Array([1, 2, 3, 4, 5]))),
    refused('an Ed25519 key of 33 bytes', ed25519PeerIdText(new Uint8Array([...A, 0]))),
    refused('protobuf fields in the other order (Data before Type)', peerIdText(new Uint8Array([0x12, 0x20, ...A, 0x08, 0x01]))),
    refused('protobuf with an extra field after the key', peerIdText(new Uint8Array([0x08, 0x01, 0x12, 0x20, ...A, 0x18, 0x01]))),
    ...ED25519_TORSION_SUBGROUP.map((hex, i) => refused(`small-order key: torsion point ${i} (${hex})`, ed25519PeerIdText(hexToBytes(hex)))),
    refused('the identity point spelled with y = p + 1 (non-canonical)', ed25519PeerIdText(le(P + 1n))),
    refused('the identity point spelled with the sign bit set although x = 0 (non-canonical)', ed25519PeerIdText(hexToBytes('01'.padEnd(62, '0') + '80'))),
    refused('the point with y = 3 spelled with y = p + 3 (non-canonical)', ed25519PeerIdText(le(P + 3n))),
    refused('y = 2, which is not on the curve', ed25519PeerIdText(le(2n))),
    refused('a valid key plus an order-8 point (not in the prime-order subgroup)', ed25519PeerIdText(mixedOrderKey)),
    refused('the valid log ID with one more character', valid + 'a'),
    refused('a character outside base58btc', valid.slice(0, -1) + '0'),
    refused('the valid log ID with its first character replaced by a space', ' ' + valid.slice(1))
  ]

  const message = utf8('threads protocol v2 id vectors')
  const anyMessage = utf8('any message at all')
  const honest = ed25519.sign(message, seed)
  const honestS = bytesToNumberLE(honest.subarray(32))
  const identity = Point.ZERO.toBytes()
  // R with an order-8 component: the cofactored equation (noble's strict mode alone) accepts it, the cofactorless one does not.
  const r = 123456789n
  const torsionR = Point.BASE.multiply(r).add(order8).toBytes()
  const torsionS = (r + challenge(torsionR, A, message) * scalar) % L
  // A mixed-order key with a signature the cofactorless equation (WebCrypto alone) accepts: retry r until k ≡ 0 mod 8, so [k]T = O.
  let mixedR = Point.BASE.toBytes()
  let mixedS = 0n
  for (let tryR = 1n; ; tryR++) {
    mixedR = Point.BASE.multiply(tryR).toBytes()
    const k = challenge(mixedR, mixedOrderKey, message)
    if (k % 8n === 0n) { mixedS = (tryR + k * scalar) % L; break }
  }
  const signatures: IdVectors['signatures'] = [
    { description: 'an honest signature by seed 07×32', publicKey: bytesToHex(A), message: bytesToHex(message), sig: bytesToHex(honest), valid: true },
    { description: 'the honest signature, of another message', publicKey: bytesToHex(A), message: bytesToHex(utf8('another message')), sig: bytesToHex(honest), valid: false },
    { description: 'small-order key attack: A = identity, R = identity, S = 0 (WebCrypto alone accepts it for any message)', publicKey: bytesToHex(identity), message: bytesToHex(anyMessage), sig: signatureHex(identity, 0n), valid: false },
    { description: 'the same attack with A spelled non-canonically (y = p + 1; WebCrypto alone accepts it too)', publicKey: bytesToHex(le(P + 1n)), message: bytesToHex(anyMessage), sig: signatureHex(identity, 0n), valid: false },
    { description: 'the honest signature with S + L in place of S (non-canonical S)', publicKey: bytesToHex(A), message: bytesToHex(message), sig: signatureHex(honest.subarray(0, 32), honestS + L), valid: false },
    { description: 'R with an order-8 component (accepted by cofactored verification only)', publicKey: bytesToHex(A), message: bytesToHex(message), sig: signatureHex(torsionR, torsionS), valid: false },
    { description: 'a mixed-order key with a signature the cofactorless equation accepts (refused for the key)', publicKey: bytesToHex(mixedOrderKey), message: bytesToHex(message), sig: signatureHex(mixedR, mixedS), valid: false },
    { description: 'R = identity and S = k·a: the equation holds (r = 0), but an identity R is refused, as libsodium does (WebCrypto alone accepts it)', publicKey: bytesToHex(A), message: bytesToHex(message), sig: signatureHex(identity, (challenge(identity, A, message) * scalar) % L), valid: false },
    { description: 'R = identity spelled non-canonically (y = p + 1) with S = k·a: ZIP-215 accepts it, RFC 8032 refuses the encoding', publicKey: bytesToHex(A), message: bytesToHex(message), sig: signatureHex(le(P + 1n), (challenge(le(P + 1n), A, message) * scalar) % L), valid: false }
  ]

  const id = createThreadId({ random: deterministicRandom('protocol-v2-ids') })
  const canonical = id.toString()
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  // The last base32 digit of a 34-byte ID carries 2 bits and 3 zero padding bits; setting the lowest padding bit breaks them.
  const paddingBroken = canonical.slice(0, -1) + alphabet[alphabet.indexOf(canonical.at(-1)!) | 1]!
  const base58Of = (...bytes: number[]): string => base58btc.encode(new Uint8Array(bytes))
  const sixteen = Array.from({ length: 16 }, (_, i) => i)
  const respelled = (description: string, text: string): IdVectors['threadIds'][number] => ({ description, text, error: 'MalformedThreadIdError', canonical })
  const malformed = (description: string, text: string): IdVectors['threadIds'][number] => ({ description, text, error: 'MalformedThreadIdError', canonical: null })
  const threadIds: IdVectors['threadIds'] = [
    { description: 'a raw thread ID with 32 random bytes, canonical base32', text: canonical, error: null, canonical },
    respelled('the same ID in base58btc', base58btc.encode(id.bytes)),
    respelled('the same ID in base36', base36.encode(id.bytes)),
    respelled('the same ID in base32 upper case (prefix B)', base32upper.encode(id.bytes)),
    respelled('the same ID with prefix b but upper-case digits', 'b' + canonical.slice(1).toUpperCase()),
    respelled('the same ID in base64url', base64url.encode(id.bytes)),
    respelled('the canonical ID with surrounding white space (trimmed only from user input)', ` ${canonical}\n`),
    malformed('empty string', ''),
    malformed('unknown multibase prefix', '~abc'),
    malformed('base32 with non-zero padding bits', paddingBroken),
    malformed('version 2', base58Of(0x02, 0x55, ...sixteen)),
    malformed('unknown variant 0x56', base58Of(0x01, 0x56, ...sixteen)),
    malformed('random part of 15 bytes', base58Of(0x01, 0x55, ...sixteen.slice(1))),
    malformed('random part of 257 bytes', base58Of(0x01, 0x55, ...new Uint8Array(257))),
    malformed('text over 2,100 characters', 'b' + 'a'.repeat(2100))
  ]
  return {
    description: 'Identifier and Ed25519 signature vectors of protocol format 2 (docs/PROTOCOL.md, Identifiers and Keys). ' +
      '`error` is the error a log ID or thread ID must be refused with (null: accepted). A thread ID\'s `canonical` is what ' +
      'normalising user input gives (null: refused as MalformedThreadIdError there too). `valid` is the strict verification ' +
      'rule\'s answer for a signature. Bytes are hex.',
    logIds,
    signatures,
    threadIds
  }
}
