import { readFile } from 'node:fs/promises'
import { hexToBytes } from '@noble/curves/utils.js'
import { describe, expect, it } from 'vitest'
import { verifySignature, verifySignatureUsing } from '../../../src/core/crypto/ed25519.ts'
import { logIdFromPublicKey, parseLogId } from '../../../src/core/ids/log-id.ts'
import { canonicalThreadId, parseThreadId } from '../../../src/core/ids/thread-id.ts'
import { buildIdVectors, type IdVectors } from './id-vectors.ts'

const fixture = JSON.parse(await readFile(new URL('../../fixtures/protocol-v2-ids.json', import.meta.url), 'utf8')) as IdVectors

/** The name of the error `fn` throws, or null when it returns. */
function errorOf (fn: () => unknown): string | null {
  try {
    fn()
    return null
  } catch (error) {
    return (error as Error).name
  }
}

describe('protocol v2 identifier vectors (test/fixtures/protocol-v2-ids.json)', () => {
  it('are the vectors test/core/ids/id-vectors.ts builds from its fixed inputs', () => {
    // Regenerate with: node -e "import('./test/core/ids/id-vectors.ts').then(m => process.stdout.write(JSON.stringify(m.buildIdVectors(), null, 2) + '\n'))" > test/fixtures/protocol-v2-ids.json
    expect(fixture).toEqual(buildIdVectors())
  })

  it('hold accepted and refused cases of every kind', () => {
    for (const list of [fixture.logIds, fixture.threadIds]) {
      expect(list.some((v) => v.error === null)).toBe(true)
      expect(list.filter((v) => v.error !== null).length).toBeGreaterThan(5)
    }
    expect(fixture.signatures.some((v) => v.valid)).toBe(true)
    expect(fixture.signatures.filter((v) => !v.valid).length).toBeGreaterThan(5)
  })

  for (const vector of fixture.logIds) {
    it(`log ID: ${vector.description} → ${vector.error ?? 'accepted'}`, () => {
      expect(errorOf(() => parseLogId(vector.text))).toBe(vector.error)
      // An accepted log ID is exactly the spelling of the key it holds.
      if (vector.error === null) expect(logIdFromPublicKey(parseLogId(vector.text))).toBe(vector.text)
    })
  }

  for (const vector of fixture.signatures) {
    it(`signature: ${vector.description} → ${vector.valid ? 'valid' : 'refused'} by WebCrypto, @noble/curves and verifySignature`, async () => {
      const [publicKey, sig, message] = [hexToBytes(vector.publicKey), hexToBytes(vector.sig), hexToBytes(vector.message)]
      expect(await verifySignatureUsing('webcrypto', publicKey, sig, message)).toBe(vector.valid)
      expect(await verifySignatureUsing('noble', publicKey, sig, message)).toBe(vector.valid)
      expect(await verifySignature(publicKey, sig, message)).toBe(vector.valid)
    })
  }

  for (const vector of fixture.threadIds) {
    it(`thread ID: ${vector.description} → ${vector.error ?? 'accepted'} on the wire, ${vector.canonical === null ? 'refused' : 'normalised'} from user input`, () => {
      expect(errorOf(() => parseThreadId(vector.text))).toBe(vector.error)
      if (vector.canonical === null) expect(errorOf(() => canonicalThreadId(vector.text))).toBe('MalformedThreadIdError')
      else expect(canonicalThreadId(vector.text)).toBe(vector.canonical)
    })
  }
})
