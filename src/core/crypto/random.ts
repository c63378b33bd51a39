/**
 * Sources of randomness. Production code uses the platform CSPRNG; tests and
 * the protocol's test vectors inject a deterministic source so outputs are exact.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'

/** Returns `length` random bytes. */
export type RandomSource = (length: number) => Uint8Array

const POOL_BYTES = 4096
let pool: Uint8Array<ArrayBuffer> = new Uint8Array(0)
let poolOffset = 0

/**
 * The platform CSPRNG (WebCrypto getRandomValues), in Node, browsers and
 * workers. Small requests are served from a pool refilled 4 KiB at a time,
 * because each getRandomValues call costs more than the bytes it returns;
 * every byte is handed out once and copied, never shared.
 */
export const secureRandom: RandomSource = (length) => {
  if (length > POOL_BYTES / 4) return fill(new Uint8Array(length))
  if (poolOffset + length > pool.length) {
    pool = fill(new Uint8Array(POOL_BYTES))
    poolOffset = 0
  }
  const out = pool.slice(poolOffset, poolOffset + length)
  pool.fill(0, poolOffset, poolOffset + length)
  poolOffset += length
  return out
}

function fill (out: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  // getRandomValues fills at most 65,536 bytes per call.
  for (let offset = 0; offset < out.length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(out.length, offset + 65536)))
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
