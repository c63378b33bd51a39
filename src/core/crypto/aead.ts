/**
 * Symmetric authenticated encryption for every key layer (content, read and
 * follow keys): XChaCha20-Poly1305 from @noble/ciphers with a random 24-byte
 * nonce prepended to the ciphertext, as the library's managedNonce does. The
 * 192-bit nonce makes random nonces safe for any number of messages per key.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { managedNonce } from '@noble/ciphers/utils.js'
import { DecryptError } from '../errors.ts'
import { secureRandom, type RandomSource } from './random.ts'

/** Length in bytes of every symmetric key (content, read, follow). */
export const SYMMETRIC_KEY_LENGTH = 32
/** Bytes a sealed message adds to its plaintext: nonce (24) + tag (16). */
export const SEAL_OVERHEAD = 40

/** A fresh random symmetric key. */
export function generateSymmetricKey (random: RandomSource = secureRandom): Uint8Array {
  return random(SYMMETRIC_KEY_LENGTH)
}

/** Encrypts `plaintext` under `key`; output is nonce || ciphertext || tag. */
export function seal (key: Uint8Array, plaintext: Uint8Array, random: RandomSource = secureRandom): Uint8Array {
  checkKey(key)
  return managedNonce(xchacha20poly1305, (length = 24) => random(length) as Uint8Array<ArrayBuffer>)(key).encrypt(plaintext)
}

/** Decrypts what `seal` produced; a wrong key or any changed byte throws DecryptError. */
export function open (key: Uint8Array, sealed: Uint8Array, what = 'ciphertext'): Uint8Array {
  checkKey(key)
  if (sealed.length < SEAL_OVERHEAD) throw new DecryptError(`${what} is ${sealed.length} bytes, shorter than nonce and tag`)
  try {
    return managedNonce(xchacha20poly1305)(key).decrypt(sealed)
  } catch (cause) {
    throw new DecryptError(`${what} does not authenticate under this key`, { cause })
  }
}

function checkKey (key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== SYMMETRIC_KEY_LENGTH) {
    throw new DecryptError(`a symmetric key must be ${SYMMETRIC_KEY_LENGTH} bytes`)
  }
}
