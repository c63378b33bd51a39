import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { hexToBytes, numberToBytesLE } from '@noble/curves/utils.js'
import { base58btc } from 'multiformats/bases/base58'
import { describe, expect, it } from 'vitest'
import { deterministicRandom } from '../../../src/core/crypto/random.ts'
import { generateLogIdentity, LOG_ID_LENGTH, logIdFromPublicKey, parseLogId, publicKeyFromLogId } from '../../../src/core/ids/log-id.ts'

/** A peer ID text claiming an Ed25519 key of any bytes (identity multihash, base58btc). */
const claimingKey = (raw: Uint8Array): string => base58btc.baseEncode(new Uint8Array([0x00, raw.length + 4, 0x08, 0x01, 0x12, raw.length, ...raw]))
const P = 2n ** 255n - 19n

/** The error `fn` throws. */
function thrown (fn: () => unknown): Error {
  try { fn() } catch (error) { return error as Error }
  throw new Error('expected a refusal')
}

describe('log IDs', () => {
  it('round-trip: a generated identity\'s log ID parses back to its public key, in the 12D3KooW spelling', () => {
    const random = deterministicRandom('log-id')
    for (let i = 0; i < 20; i++) {
      const identity = generateLogIdentity(random)
      expect(identity.logId).toMatch(/^12D3KooW/)
      expect(identity.logId).toHaveLength(LOG_ID_LENGTH)
      expect(parseLogId(identity.logId)).toEqual(identity.publicKey)
      expect(publicKeyFromLogId(identity.logId)).toEqual(identity.publicKey)
      expect(logIdFromPublicKey(identity.publicKey)).toBe(identity.logId)
      // The one spelling libp2p itself prints.
      expect(peerIdFromPublicKey(publicKeyFromRaw(identity.publicKey)).toString()).toBe(identity.logId)
    }
  })

  const valid = generateLogIdentity(deterministicRandom('refusals'))
  const refusals: Array<[string, unknown, RegExp]> = [
    ['an empty string', '', /non-empty string/],
    ['a value that is not a string', 42, /non-empty string/],
    ['a CIDv1 spelling of a valid key', peerIdFromPublicKey(publicKeyFromRaw(valid.publicKey)).toCID().toString(), /CIDv1 spelling/],
    ['a secp256k1 peer ID', '16Uiu2HAm1G7VSPBTXZQM2qhyuXu4arUdXFetbiXSKMXUz1Q939MG', /secp256k1 key; log IDs are Ed25519/],
    ['a hashed (RSA) peer ID', 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', /hashed peer ID/],
    ['a 0-byte key', claimingKey(new Uint8Array(0)), /length 32, got 0/],
    ['a 5-byte key', claimingKey(new Uint8Array(5).fill(1)), /length 32, got 5/],
    ['the identity point as key', claimingKey(hexToBytes(ED25519_TORSION_SUBGROUP[0]!)), /small-order point/],
    ['the identity point with y = p + 1', claimingKey(numberToBytesLE(P + 1n, 32)), /not the canonical encoding of its point/],
    ['bytes that are not a curve point', claimingKey(numberToBytesLE(2n, 32)), /not a point on the Ed25519 curve/],
    ['a key with an order-8 component', claimingKey(ed25519.Point.fromBytes(valid.publicKey).add(ed25519.Point.fromHex(ED25519_TORSION_SUBGROUP[1]!)).toBytes()), /small-order component/],
    ['protobuf fields in another order', base58btc.baseEncode(new Uint8Array([0x00, 0x24, 0x12, 0x20, ...valid.publicKey, 0x08, 0x01])), /not the canonical encoding of its key/],
    ['the log ID with one character more', valid.logId + '1', /not a multihash/],
    ['text far longer than any peer ID', valid.logId.repeat(3), /156 characters; a log ID is 52/],
    ['text outside base58btc', valid.logId.replace(/.$/, '0'), /not base58btc/]
  ]
  for (const [what, text, message] of refusals) {
    it(`refuses ${what} with MalformedLogIdError saying which rule`, () => {
      const error = thrown(() => parseLogId(text))
      expect(error.name).toBe('MalformedLogIdError')
      expect(error.message).toMatch(message)
    })
  }

  it('refuses every one of the 8 small-order points, and never makes a log ID for one', () => {
    for (const hex of ED25519_TORSION_SUBGROUP) {
      expect(thrown(() => parseLogId(claimingKey(hexToBytes(hex)))).message).toMatch(/small-order point/)
      expect(thrown(() => logIdFromPublicKey(hexToBytes(hex))).name).toBe('MalformedLogIdError')
    }
  })

  it('a refused log ID stays refused on every later call (nothing refused is cached as valid)', () => {
    const bad = claimingKey(hexToBytes(ED25519_TORSION_SUBGROUP[0]!))
    for (let i = 0; i < 3; i++) expect(thrown(() => publicKeyFromLogId(bad)).name).toBe('MalformedLogIdError')
  })
})
