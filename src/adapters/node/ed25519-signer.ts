/**
 * Ed25519 signing through node:crypto (OpenSSL), for Node programs using the
 * database. It signs synchronously, with no round trip to WebCrypto's thread
 * pool: a record costs about 30 µs of CPU to sign here against about 80 µs
 * through WebCrypto. Signatures are the same bytes (Ed25519 is deterministic).
 */
import { createPrivateKey, sign } from 'node:crypto'
import { base64url } from 'multiformats/bases/base64'
import { publicKeyFromSeed, type Signer } from '../../core/crypto/ed25519.ts'

/**
 * The signer of a 32-byte Ed25519 seed, through node:crypto; pass it to
 * openDatabase as `signer`.
 * @example
 * const db = openDatabase({ backend: await openLmdbBackend({ directory }), signer: createNodeSigner })
 */
export function createNodeSigner (seed: Uint8Array): Signer {
  const publicKey = publicKeyFromSeed(seed)
  const key = createPrivateKey({
    format: 'jwk',
    key: { kty: 'OKP', crv: 'Ed25519', d: base64url.baseEncode(seed), x: base64url.baseEncode(publicKey) }
  })
  return {
    publicKey,
    async sign (message) {
      const signature = sign(null, message, key)
      return new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength)
    }
  }
}
