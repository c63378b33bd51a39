/**
 * Key IDs of thread key epochs (record format 3): the first 16 bytes of
 * sha256(utf8("threads/v3/epoch-key-id") ‖ followKey). A record names the
 * epoch that seals it by this ID, so a reader picks the follow key without
 * trying each one, and a follower can check that a follow key it is handed
 * is the one an ACL event committed to.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'

/** Length of a key ID in bytes. */
export const KEY_ID_LENGTH = 16

const DOMAIN = utf8ToBytes('threads/v3/epoch-key-id')

/** The key ID of the epoch whose follow key is `followKey`. */
export function epochKeyId (followKey: Uint8Array): Uint8Array {
  const input = new Uint8Array(DOMAIN.length + followKey.length)
  input.set(DOMAIN)
  input.set(followKey, DOMAIN.length)
  return sha256(input).slice(0, KEY_ID_LENGTH)
}

/** A key ID as lower-case hex, for maps and storage keys. */
export function keyIdHex (keyId: Uint8Array): string {
  let out = ''
  for (const byte of keyId) out += byte.toString(16).padStart(2, '0')
  return out
}

/** Whether two key IDs are equal. */
export function sameKeyId (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}
