import { describe, expect, it } from 'vitest'
import { open, SEAL_OVERHEAD, seal, sealInto } from '../../../src/core/crypto/aead.ts'
import { deterministicRandom } from '../../../src/core/crypto/random.ts'

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

describe('sealInto', () => {
  const key = new Uint8Array(32).fill(4)
  // Sizes either side of one ChaCha block and of the aligned scratch buffer's limit.
  const sizes = [0, 1, 47, 48, 100, 1030, 64 * 1024 - 16, 64 * 1024 - 15, 70000]

  it('writes the bytes seal writes, at every offset inside a larger buffer', () => {
    for (const size of sizes) {
      const plaintext = Uint8Array.from({ length: size }, (_, i) => i * 7)
      const expected = seal(key, plaintext, deterministicRandom(`s${size}`))
      for (const offset of [0, 1, 2, 3]) {
        const buffer = new Uint8Array(offset + size + SEAL_OVERHEAD + 5).fill(0xee)
        const out = buffer.subarray(offset, offset + size + SEAL_OVERHEAD)
        sealInto(key, plaintext, out, deterministicRandom(`s${size}`))
        expect(same(out, expected)).toBe(true)
        // Nothing outside the output is touched.
        expect(buffer.subarray(0, offset).every((b) => b === 0xee)).toBe(true)
        expect(buffer.subarray(offset + out.length).every((b) => b === 0xee)).toBe(true)
        expect(same(open(key, out), plaintext)).toBe(true)
      }
    }
  })
})
