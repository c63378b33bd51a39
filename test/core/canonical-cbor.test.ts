/**
 * The canonical-form check of received structures, item by item as they are
 * decoded, against the rule it stands for: bytes are canonical when encoding
 * what they decode to gives the same bytes. Random values (of every kind
 * dag-cbor holds) and random mutations of their encodings must get the same
 * verdict from both, and the departures the encoder never writes are named
 * one by one.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { BLOCK_DECODE_LIMITS, decodeBoundedDagCbor, decodeCanonicalDagCbor, NonCanonicalCborError } from '../../src/core/bounded-cbor.ts'
import { decodeCanonical } from '../../src/core/log/record-format.ts'

/** The rule: decode, encode again, compare. 'refused' when the decoder refuses the bytes. */
function byReencoding (bytes: Uint8Array): { value: unknown } | 'refused' | 'not canonical' {
  let value: unknown
  try {
    value = decodeBoundedDagCbor(bytes, BLOCK_DECODE_LIMITS, 'test')
  } catch {
    return 'refused'
  }
  let again: Uint8Array
  try {
    again = dagCbor.encode(value)
  } catch {
    return 'not canonical'
  }
  return again.length === bytes.length && again.every((b, i) => b === bytes[i]) ? { value } : 'not canonical'
}

/** The check under test, in the same terms. */
function byTokens (bytes: Uint8Array): { value: unknown } | 'refused' | 'not canonical' {
  try {
    return { value: decodeCanonicalDagCbor(bytes, BLOCK_DECODE_LIMITS, 'test') }
  } catch (error) {
    return error instanceof NonCanonicalCborError ? 'not canonical' : 'refused'
  }
}

/** Both accept with the same value, or both turn the bytes down. */
function expectSameVerdict (bytes: Uint8Array): void {
  const expected = byReencoding(bytes)
  const actual = byTokens(bytes)
  const hex = Buffer.from(bytes).toString('hex')
  if (typeof expected === 'object') {
    expect(actual, hex).toEqual(expected)
  } else {
    expect(typeof actual, `${hex} (${expected})`).toBe('string')
  }
}

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const STRINGS = ['', 'a', 'v', 'seq', 'thread', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(300), 'é', 'naïve café', '📷 album', '\uFEFFbom', 'a\u0000b', '日本語のテキスト'.repeat(5)]
const NUMBERS: Array<number | bigint> = [0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -1, -24, -25, -256, -257, -(2 ** 32), Number.MIN_SAFE_INTEGER,
  2n ** 64n - 1n, -(2n ** 64n), 2n ** 60n, 0.5, -1.25, 1e-300, 3.141592653589793, 1e20, -1e300, 2 ** 53 + 2]

function cidOf (pick: () => number): CID {
  const bytes = Uint8Array.from({ length: 8 }, () => Math.floor(pick() * 256))
  const kind = Math.floor(pick() * 3)
  if (kind === 0) return CID.createV1(dagCbor.code, sha256.digest(bytes) as Awaited<ReturnType<typeof sha256.digest>>)
  if (kind === 1) return CID.createV0(sha256.digest(bytes) as Awaited<ReturnType<typeof sha256.digest>>)
  return CID.createV1(0x55, identity.digest(bytes))
}

/** A random dag-cbor value: maps, lists, CIDs, bytes, strings, numbers, booleans and null. */
function randomValue (pick: () => number, depth: number): unknown {
  const choice = Math.floor(pick() * (depth > 3 ? 7 : 9))
  const any = <T>(list: readonly T[]): T => list[Math.floor(pick() * list.length)]!
  switch (choice) {
    case 0: return any(STRINGS)
    case 1: return any(NUMBERS)
    case 2: return Uint8Array.from({ length: any([0, 1, 23, 24, 40, 300]) }, () => Math.floor(pick() * 256))
    case 3: return cidOf(pick)
    case 4: return any([null, true, false])
    case 5: return Math.floor(pick() * 2 ** 40) - 2 ** 39
    case 6: return pick() * 1e6 - 5e5
    case 7: return Array.from({ length: Math.floor(pick() * 5) }, () => randomValue(pick, depth + 1))
    default: {
      const map: Record<string, unknown> = {}
      const size = Math.floor(pick() * 6)
      for (let i = 0; i < size; i++) map[any([...STRINGS.filter((s) => !s.startsWith('\uFEFF')), 'k' + i, 'b', 'aa', 'ab', 'ba'])] = randomValue(pick, depth + 1)
      return map
    }
  }
}

/** `bytes` with one random change: a byte replaced, a bit flipped, a byte inserted or removed, or two bytes swapped. */
function mutate (bytes: Uint8Array, pick: () => number): Uint8Array {
  const out = [...bytes]
  const at = Math.floor(pick() * out.length)
  const kind = Math.floor(pick() * 5)
  if (kind === 0) out[at] = Math.floor(pick() * 256)
  else if (kind === 1) out[at] = out[at]! ^ (1 << Math.floor(pick() * 8))
  else if (kind === 2) out.splice(at, 0, Math.floor(pick() * 256))
  else if (kind === 3) out.splice(at, 1)
  else {
    const other = Math.floor(pick() * out.length)
    ;[out[at], out[other]] = [out[other]!, out[at]!]
  }
  return Uint8Array.from(out)
}

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s/g, ''), 'hex'))

describe('canonical dag-cbor, item by item', () => {
  it('gives the verdict of encoding again for random values and thousands of random mutations of them', () => {
    const pick = random(20261203)
    let accepted = 0
    let turnedDown = 0
    for (let v = 0; v < 400; v++) {
      const value = randomValue(pick, 0)
      const bytes = dagCbor.encode(value)
      expectSameVerdict(bytes)
      for (let m = 0; m < 30; m++) {
        const mutated = mutate(bytes, pick)
        expectSameVerdict(mutated)
        if (typeof byReencoding(mutated) === 'object') accepted++
        else turnedDown++
      }
    }
    // Both kinds of verdict were exercised, many times over.
    expect(accepted).toBeGreaterThan(500)
    expect(turnedDown).toBeGreaterThan(500)
  })

  it('names each departure the encoder never writes, and accepts the one form it writes', () => {
    const cidBytes = CID.createV1(dagCbor.code, sha256.digest(new Uint8Array(4)) as Awaited<ReturnType<typeof sha256.digest>>).bytes
    const cidHex = Buffer.from(cidBytes.subarray(2)).toString('hex')
    const notCanonical = {
      'keys out of byte order': 'a2 6162 01 6161 02',
      'a longer key first': 'a2 626161 01 6162 02',
      'a half-precision float': 'f9 3e00',
      'a single-precision float': 'fa 3fc00000',
      'an integer written as a float': 'fb 3ff0000000000000',
      'minus zero': 'fb 8000000000000000',
      'undefined': 'f7',
      'a string with a leading byte-order mark': '64 efbbbf61',
      'invalid UTF-8': '62 c328',
      'an overlong UTF-8 sequence': '62 c080',
      // The decoder reads these bytes as a CIDv0, which the encoder writes as its multihash alone.
      'a CIDv0 written with its version and codec': `d8 2a 58 25 00 00 70 ${cidHex}`
    }
    for (const [what, text] of Object.entries(notCanonical)) {
      expect(byReencoding(hex(text)), what).not.toEqual(expect.objectContaining({ value: expect.anything() }))
      expect(byTokens(hex(text)), what).toBe('not canonical')
    }
    const refused = { 'a repeated key': 'a2 6161 01 6161 02', 'an integer in more bytes than it needs': '18 05', 'an indefinite list': '9f 01 ff', 'bytes after the value': '01 02' }
    for (const [what, text] of Object.entries(refused)) expect(byTokens(hex(text)), what).toBe('refused')
    const canonical = { 'keys in order': 'a2 6161 02 6162 01', 'shorter key first': 'a2 6162 02 626161 01', 'a float': 'fb 3ff8000000000000', 'a large integral float': 'fb 4415af1d78b58c40', 'a non-ASCII string': '62 c3a9', 'a 64-bit integer': '1b ffffffffffffffff', 'a CID': `d8 2a 58 25 00 ${Buffer.from(cidBytes).toString('hex')}` }
    for (const [what, text] of Object.entries(canonical)) {
      expect(byTokens(hex(text)), what).toEqual(byReencoding(hex(text)))
      expect(byTokens(hex(text)), what).toEqual({ value: expect.anything() })
    }
  })

  it('reaches the record format as MalformedRecordError, told apart from bytes that are not dag-cbor at all', () => {
    expect(() => decodeCanonical(hex('a2 6162 01 6161 02'), 'record node')).toThrow(expect.objectContaining({ name: 'MalformedRecordError', message: 'record node is not in canonical dag-cbor form' }))
    expect(() => decodeCanonical(hex('a2 6161 01'), 'record node')).toThrow(expect.objectContaining({ name: 'MalformedRecordError', message: 'record node is not valid dag-cbor' }))
    expect(decodeCanonical(hex('a2 6161 02 6162 01'), 'record node')).toEqual({ a: 2, b: 1 })
  })
})
