/**
 * The record paths write and read a few dag-cbor frames by hand (a sealed
 * byte string, the record envelope `{ k, s }`) to seal straight into a block's
 * buffer and to open without copying. These properties hold them to what
 * @ipld/dag-cbor writes and accepts, over seeded random lengths at every
 * length form and over mutated frames.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { encodeRecordEnvelope, encodeSealedBlock, recordEnvelopeParts, sealedBytesOf } from '../../src/core/log/blocks.ts'
import { seededRng, type Rng } from '../helpers/seeded.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const SEEDS = 200
const key = new Uint8Array(32).fill(5)

/** A length drawn from one of the byte-string head forms (1, 2, 3 or 5 bytes of head). */
function lengthOf (rng: Rng): number {
  const form = rng.int(4)
  if (form === 0) return rng.int(24)
  if (form === 1) return 24 + rng.int(256 - 24)
  if (form === 2) return 256 + rng.int(65536 - 256)
  return 65536 + rng.int(70_000)
}

const bytesOf = (rng: Rng, length: number): Uint8Array => Uint8Array.from({ length }, () => rng.int(256))
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** What the strict dag-cbor decoder makes of `bytes`: the value, or undefined when it refuses them or they are not canonical. */
function strictDecode (bytes: Uint8Array): unknown {
  try {
    const value = dagCbor.decode(bytes)
    return same(dagCbor.encode(value), bytes) ? value : undefined
  } catch {
    return undefined
  }
}

/** A frame with one byte changed, some bytes cut off its end, or some added. */
function mutate (rng: Rng, bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes)
  const choice = rng.int(3)
  if (choice === 0) {
    out[rng.int(Math.min(out.length, 24))] = rng.int(256)
    return out
  }
  if (choice === 1) return out.subarray(0, Math.max(0, out.length - 1 - rng.int(4)))
  return Uint8Array.from([...out, ...bytesOf(rng, 1 + rng.int(3))])
}

describe('hand-written dag-cbor frames', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('a sealed block is the canonical dag-cbor byte string of its sealed bytes', () => {
    for (let seed = 0; seed < SEEDS; seed++) {
      const rng = seededRng(seed)
      const block = encodeSealedBlock(key, bytesOf(rng, lengthOf(rng)))
      const decoded = strictDecode(block.bytes)
      expect(decoded, `seed ${seed}`).toBeInstanceOf(Uint8Array)
      expect(same(sealedBytesOf(block.bytes, 'block'), decoded as Uint8Array), `seed ${seed}`).toBe(true)
    }
  })

  it('a record envelope is the canonical dag-cbor of { k, s }, and its parts are what the decoder reads', () => {
    for (let seed = 0; seed < SEEDS; seed++) {
      const rng = seededRng(seed)
      const keyId = bytesOf(rng, 16)
      const bytes = encodeRecordEnvelope(keyId, key, bytesOf(rng, lengthOf(rng)))
      const decoded = strictDecode(bytes) as { k: Uint8Array, s: Uint8Array } | undefined
      expect(decoded, `seed ${seed}`).toBeDefined()
      expect(Object.keys(decoded!)).toEqual(['k', 's'])
      const parts = recordEnvelopeParts(bytes, 'record')
      expect(same(parts.keyId, decoded!.k) && same(parts.sealed, decoded!.s), `seed ${seed}`).toBe(true)
    }
  })

  it('reads a mutated frame exactly when the strict decoder does, and the same bytes', () => {
    let accepted = 0
    for (let seed = 0; seed < SEEDS * 5; seed++) {
      const rng = seededRng(seed)
      const content = bytesOf(rng, rng.chance(0.5) ? rng.int(300) : lengthOf(rng))
      const mutated = mutate(rng, dagCbor.encode(content))
      const expected = strictDecode(mutated)
      let read: Uint8Array | undefined
      try {
        read = sealedBytesOf(mutated, 'block')
      } catch (error) {
        expect((error as Error).name, `seed ${seed}`).toBe('MalformedRecordError')
      }
      if (expected instanceof Uint8Array) {
        accepted++
        expect(read !== undefined && same(read, expected), `seed ${seed}`).toBe(true)
      } else {
        expect(read, `seed ${seed}`).toBeUndefined()
      }
    }
    // The mutations must leave some frames readable, or the property says nothing about acceptance.
    expect(accepted).toBeGreaterThan(20)
  })

  it('decoded byte strings never point into the bytes they were decoded from (openAndDecode reuses its buffer)', () => {
    for (const length of [1, 23, 24, 4096, 70_000]) {
      const input = dagCbor.encode([new Uint8Array(length)])
      const [decoded] = dagCbor.decode(input) as [Uint8Array]
      input.fill(0xff)
      expect(decoded.every((b) => b === 0)).toBe(true)
    }
  })
})
