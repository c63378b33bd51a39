/**
 * Symmetric authenticated encryption for every key layer (content, read and
 * follow keys): XChaCha20-Poly1305 from @noble/ciphers with a random 24-byte
 * nonce prepended to the ciphertext (the layout of the library's managedNonce).
 * The 192-bit nonce makes random nonces safe for any number of messages per key.
 *
 * Performance notes (the bytes are the same either way): the nonce is handed
 * to noble from a 4-byte-aligned, ArrayBuffer-backed scratch copy, which noble
 * reads in place; a nonce at an odd offset inside a block, or a small on-heap
 * array, it would copy and re-view on each of its two ChaCha passes. noble
 * XORs the keystream a 32-bit word at a time only into a 4-byte-aligned output
 * and byte by byte otherwise, so a ciphertext that would start at an odd
 * offset (inside a block, after its CBOR head and the nonce) is encrypted in
 * an aligned scratch buffer and copied out: the copy costs far less than the
 * byte-wise XOR.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { DecryptError } from '../errors.ts'
import { secureRandom, type RandomSource } from './random.ts'

/** Length in bytes of every symmetric key (content, read, follow). */
export const SYMMETRIC_KEY_LENGTH = 32
/** Length in bytes of the random nonce at the start of a sealed message. */
export const NONCE_LENGTH = 24
/** Bytes a sealed message adds to its plaintext: nonce (24) + tag (16). */
export const SEAL_OVERHEAD = 40

// Only ever used within one synchronous call, so sharing them is safe.
const nonceScratch = new Uint8Array(new ArrayBuffer(NONCE_LENGTH))
/** Largest ciphertext (with tag) encrypted in the aligned scratch buffer; larger ones go in place. */
const ALIGNED_SCRATCH_LIMIT = 64 * 1024
let alignedScratch = new ArrayBuffer(0)

/** A fresh random symmetric key. */
export function generateSymmetricKey (random: RandomSource = secureRandom): Uint8Array {
  return random(SYMMETRIC_KEY_LENGTH)
}

/** Encrypts `plaintext` under `key`; output is nonce || ciphertext || tag. */
export function seal (key: Uint8Array, plaintext: Uint8Array, random: RandomSource = secureRandom): Uint8Array {
  return sealInto(key, plaintext, new Uint8Array(plaintext.length + SEAL_OVERHEAD), random)
}

/**
 * Like `seal`, but writes nonce || ciphertext || tag into `out`, which must be
 * exactly `plaintext.length + SEAL_OVERHEAD` bytes and must not overlap
 * `plaintext`. Returns `out`. Lets a caller seal straight into a larger buffer
 * (a block with its framing) without a copy.
 */
export function sealInto (key: Uint8Array, plaintext: Uint8Array, out: Uint8Array, random: RandomSource = secureRandom): Uint8Array {
  checkKey(key)
  if (out.length !== plaintext.length + SEAL_OVERHEAD) throw new RangeError(`sealing ${plaintext.length} bytes needs an output of ${plaintext.length + SEAL_OVERHEAD} bytes, not ${out.length}`)
  const nonce = random(NONCE_LENGTH)
  if (nonce.length !== NONCE_LENGTH) throw new RangeError(`the random source returned ${nonce.length} bytes for a ${NONCE_LENGTH}-byte nonce`)
  out.set(nonce, 0)
  nonceScratch.set(nonce)
  const ciphertext = out.subarray(NONCE_LENGTH)
  const cipher = xchacha20poly1305(key, nonceScratch)
  if (ciphertext.byteOffset % 4 === 0 || ciphertext.length < 64 || ciphertext.length > ALIGNED_SCRATCH_LIMIT) {
    cipher.encrypt(plaintext, ciphertext)
  } else {
    if (alignedScratch.byteLength < ciphertext.length) alignedScratch = new ArrayBuffer(Math.min(ALIGNED_SCRATCH_LIMIT, 2 ** Math.ceil(Math.log2(ciphertext.length))))
    ciphertext.set(cipher.encrypt(plaintext, new Uint8Array(alignedScratch, 0, ciphertext.length)))
  }
  return out
}

/** Decrypts what `seal` produced; a wrong key or any changed byte throws DecryptError. */
export function open (key: Uint8Array, sealed: Uint8Array, what = 'ciphertext'): Uint8Array {
  return openInto(key, sealed, undefined, what)
}

/**
 * Like `open`, but decrypts into `out` when given, which must be exactly
 * `sealed.length - SEAL_OVERHEAD` bytes and must not overlap `sealed`.
 * Returns the plaintext (`out`, or a new array).
 */
export function openInto (key: Uint8Array, sealed: Uint8Array, out: Uint8Array | undefined, what = 'ciphertext'): Uint8Array {
  checkKey(key)
  if (!(sealed instanceof Uint8Array) || sealed.length < SEAL_OVERHEAD) throw new DecryptError(`${what} is ${sealed?.length} bytes, shorter than nonce and tag`)
  if (out !== undefined && out.length !== sealed.length - SEAL_OVERHEAD) throw new RangeError(`opening ${sealed.length} bytes needs an output of ${sealed.length - SEAL_OVERHEAD} bytes, not ${out.length}`)
  nonceScratch.set(sealed.subarray(0, NONCE_LENGTH))
  try {
    return xchacha20poly1305(key, nonceScratch).decrypt(sealed.subarray(NONCE_LENGTH), out)
  } catch (cause) {
    throw new DecryptError(`${what} does not authenticate under this key`, { cause })
  }
}

function checkKey (key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== SYMMETRIC_KEY_LENGTH) {
    throw new DecryptError(`a symmetric key must be ${SYMMETRIC_KEY_LENGTH} bytes`)
  }
}
