/**
 * Sources of randomness. Production code uses the platform CSPRNG; tests and
 * the protocol's test vectors inject a deterministic source so outputs are exact.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'

/** Returns `length` random bytes. */
export type RandomSource = (length: number) => Uint8Array

/** The platform CSPRNG (WebCrypto getRandomValues), in Node, browsers and workers. */
export const secureRandom: RandomSource = (length) => {
  const out = new Uint8Array(length)
  // getRandomValues fills at most 65,536 bytes per call.
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)))
  }
  return out
}

/**
 * A deterministic stream for tests and test vectors only: block i is
 * sha256(seed || uint32be(i)). Never use it for real keys.
 */
export function deterministicRandom (seed: string): RandomSource {
  const seedBytes = utf8ToBytes(seed)
  let counter = 0
  let pool = new Uint8Array(0)
  return (length) => {
    while (pool.length < length) {
      const input = new Uint8Array(seedBytes.length + 4)
      input.set(seedBytes)
      new DataView(input.buffer).setUint32(seedBytes.length, counter++)
      const next = new Uint8Array(pool.length + 32)
      next.set(pool)
      next.set(sha256(input), pool.length)
      pool = next
    }
    const out = pool.slice(0, length)
    pool = pool.slice(length)
    return out
  }
}
