/**
 * Sealing and opening one chunk of a file: XChaCha20-Poly1305 from
 * @noble/ciphers, a random 24-byte nonce per chunk written before the
 * ciphertext (the layout of the library's managedNonce), and associated data
 * naming the chunk's place in its file (format.ts). With a random key per file
 * and a 192-bit random nonce per chunk, nonces never repeat under a key.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { DecryptError } from '../errors.ts'
import { CHUNK_OVERHEAD, MEDIA_KEY_BYTES } from './format.ts'

const NONCE_BYTES = 24

/** Seals `plaintext` under the file key; returns nonce ‖ ciphertext ‖ tag. */
export function sealChunk (key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, random: RandomSource = secureRandom): Uint8Array {
  checkKey(key)
  const out = new Uint8Array(plaintext.length + CHUNK_OVERHEAD)
  const nonce = random(NONCE_BYTES)
  out.set(nonce)
  xchacha20poly1305(key, nonce, aad).encrypt(plaintext, out.subarray(NONCE_BYTES))
  return out
}

/**
 * Opens what `sealChunk` made; a wrong key, place or any changed byte is a
 * DecryptError. The plaintext goes into `into` when given (exactly its
 * length: where a whole file is gathered, so it is written once), else into a
 * new array; nothing is written there unless the chunk authenticates.
 */
export function openChunk (key: Uint8Array, sealed: Uint8Array, aad: Uint8Array, what: string, into?: Uint8Array): Uint8Array {
  checkKey(key)
  if (sealed.length < CHUNK_OVERHEAD) throw new DecryptError(`${what} is ${sealed.length} bytes, shorter than nonce and tag`)
  try {
    return xchacha20poly1305(key, sealed.subarray(0, NONCE_BYTES), aad).decrypt(sealed.subarray(NONCE_BYTES), into)
  } catch (cause) {
    throw new DecryptError(`${what} does not authenticate under this file's key at this place in the file`, { cause })
  }
}

function checkKey (key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== MEDIA_KEY_BYTES) throw new DecryptError(`a file key must be ${MEDIA_KEY_BYTES} bytes`)
}
