/**
 * Ed25519 verification through node:crypto's one-shot `verify` with a
 * callback: the same OpenSSL verification as Node's WebCrypto, run in the
 * same thread pool, for about 8 µs of the calling thread's time where
 * WebCrypto's argument handling takes about 45 µs. verifySignature applies
 * the strict rule's checks on the key and the signature before calling it
 * (see core/crypto/ed25519.ts), so both accept the same signatures.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { base64url } from 'multiformats/bases/base64'
import type { Ed25519Verify } from '../../core/crypto/ed25519.ts'

/** Public keys kept imported; past this many the oldest goes first. */
const MAX_KEYS = 4096

/**
 * A verifier for `createRecordStore({ verify })`, keeping up to 4,096 public
 * keys imported (a log's key is imported on its first signature).
 */
export function createNodeVerifier (): Ed25519Verify {
  const keys = new Map<string, KeyObject>()
  const keyOf = (publicKey: Uint8Array): KeyObject => {
    const x = base64url.baseEncode(publicKey)
    let key = keys.get(x)
    if (key === undefined) {
      key = createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x } })
      if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!)
      keys.set(x, key)
    }
    return key
  }
  return async (publicKey, signature, message) => await new Promise<boolean>((resolve, reject) => {
    verify(null, message, keyOf(publicKey), signature, (error, ok) => { if (error !== null) reject(error); else resolve(ok) })
  })
}
