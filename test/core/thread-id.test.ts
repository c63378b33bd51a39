import { describe, expect, it } from 'vitest'
import { base58btc } from 'multiformats/bases/base58'
import { deterministicRandom } from '../../src/core/crypto/random.ts'
import { createThreadId, parseThreadId, ThreadVariant } from '../../src/core/ids/thread-id.ts'

describe('thread IDs', () => {
  it('round-trips through its base32 string for both variants and several lengths', () => {
    const random = deterministicRandom('thread-id')
    for (const variant of [ThreadVariant.Raw, ThreadVariant.AccessControlled]) {
      for (const randomLength of [16, 32, 64]) {
        const id = createThreadId({ variant, randomLength, random })
        const text = id.toString()
        expect(text.startsWith('b')).toBe(true)
        const parsed = parseThreadId(text)
        expect(parsed.version).toBe(1)
        expect(parsed.variant).toBe(variant)
        expect(parsed.random).toEqual(id.random)
        expect(parsed.toString()).toBe(text)
        expect(parsed.bytes.slice(0, 2)).toEqual(new Uint8Array([0x01, variant]))
      }
    }
  })

  it('parses any multibase encoding and prints base32', () => {
    const id = createThreadId({ random: deterministicRandom('any-base') })
    const asBase58 = base58btc.encode(id.bytes)
    expect(asBase58.startsWith('z')).toBe(true)
    expect(parseThreadId(asBase58).toString()).toBe(id.toString())
  })

  it('creates distinct IDs from the platform random source', () => {
    expect(createThreadId().toString()).not.toBe(createThreadId().toString())
  })

  const bytesOf = (...parts: number[][]): string => base58btc.encode(new Uint8Array(parts.flat()))
  const sixteen = Array.from({ length: 16 }, (_, i) => i)
  const malformed: Array<[string, string, RegExp]> = [
    ['empty string', '', /non-empty/],
    ['unknown multibase prefix', '~abc', /multibase/],
    ['bad base32 characters', 'b!!!!', /multibase/],
    ['no version', bytesOf([]), /before its version/],
    ['wrong version', bytesOf([0x02, 0x55], sixteen), /unsupported version 2/],
    ['unknown variant', bytesOf([0x01, 0x56], sixteen), /unknown variant 0x56/],
    ['missing variant', bytesOf([0x01]), /before its variant/],
    ['random part too short', bytesOf([0x01, 0x55], sixteen.slice(0, 15)), /15 bytes; at least 16/],
    ['varint longer than 8 bytes', bytesOf([0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], sixteen), /version/]
  ]
  for (const [what, text, message] of malformed) {
    it(`rejects ${what} with MalformedThreadIdError`, () => {
      let error: unknown
      try { parseThreadId(text) } catch (e) { error = e }
      expect(error).toBeInstanceOf(Error)
      expect((error as Error).name).toBe('MalformedThreadIdError')
      expect((error as Error).message).toMatch(message)
    })
  }
})
