import { describe, expect, it } from 'vitest'
import { base58btc } from 'multiformats/bases/base58'
import { deterministicRandom } from '../../src/core/crypto/random.ts'
import { base32upper } from 'multiformats/bases/base32'
import { base36 } from 'multiformats/bases/base36'
import { canonicalThreadId, createThreadId, parseThreadId, ThreadVariant } from '../../src/core/ids/thread-id.ts'

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

  it('refuses every spelling but the canonical base32 one, naming the canonical form', () => {
    const id = createThreadId({ random: deterministicRandom('any-base') })
    const text = id.toString()
    for (const other of [base58btc.encode(id.bytes), base36.encode(id.bytes), base32upper.encode(id.bytes), 'b' + text.slice(1).toUpperCase()]) {
      let error: unknown
      try { parseThreadId(other) } catch (e) { error = e }
      expect((error as Error).name).toBe('MalformedThreadIdError')
      expect((error as Error).message).toMatch(/not the canonical base32 form/)
      expect((error as Error).message).toContain(text)
    }
  })

  it('normalises a typed or pasted ID in any multibase to the canonical spelling', () => {
    const id = createThreadId({ random: deterministicRandom('typed') })
    const text = id.toString()
    for (const typed of [text, base58btc.encode(id.bytes), base36.encode(id.bytes), base32upper.encode(id.bytes), `  ${text}\n`]) {
      expect(canonicalThreadId(typed)).toBe(text)
    }
    expect(() => canonicalThreadId('zz')).toThrow(expect.objectContaining({ name: 'MalformedThreadIdError' }))
  })

  it('creates distinct IDs from the platform random source', () => {
    expect(createThreadId().toString()).not.toBe(createThreadId().toString())
  })

  const bytesOf = (...parts: number[][]): string => base58btc.encode(new Uint8Array(parts.flat()))
  const sixteen = Array.from({ length: 16 }, (_, i) => i)
  const malformed: Array<[string, string, RegExp]> = [
    ['empty string', '', /non-empty/],
    ['text longer than any thread ID in any base', 'b' + 'a'.repeat(2100), /at most 2100 characters/],
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
