import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, hexToBytes, numberToBytesLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { createSigner, publicKeyProblem, verifySignature, verifySignatureUsing, type Ed25519Implementation } from '../../../src/core/crypto/ed25519.ts'
import { deterministicRandom } from '../../../src/core/crypto/random.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../../helpers/timeouts.ts'

const { Point } = ed25519
const L = Point.Fn.ORDER
const P = 2n ** 255n - 19n
const le = (n: bigint): Uint8Array => numberToBytesLE(n, 32)
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
const implementations: Ed25519Implementation[] = ['webcrypto', 'noble']
const identity = hexToBytes(ED25519_TORSION_SUBGROUP[0]!)
const order8 = Point.fromHex(ED25519_TORSION_SUBGROUP[1]!)

/** WebCrypto's own answer, without the rules verifySignature adds. */
async function plainWebCrypto (publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  const key = await crypto.subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify'])
  return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>)
}

describe('Ed25519 verification rule', () => {
  const seed = new Uint8Array(32).fill(3)
  const signer = createSigner(seed)
  const { scalar } = ed25519.utils.getExtendedPublicKey(seed)
  const message = utf8('a record node')

  it('accepts an honest signature through WebCrypto, @noble/curves and verifySignature, and refuses it for another message', async () => {
    const signature = await signer.sign(message)
    expect(signature).toEqual(ed25519.sign(message, seed))
    expect(publicKeyProblem(signer.publicKey)).toBeUndefined()
    for (const via of implementations) {
      expect(await verifySignatureUsing(via, signer.publicKey, signature, message)).toBe(true)
      expect(await verifySignatureUsing(via, signer.publicKey, signature, utf8('another node'))).toBe(false)
    }
    expect(await verifySignature(signer.publicKey, signature, message)).toBe(true)
  })

  it('refuses the small-order key attack (A = identity, R = identity, S = 0) that WebCrypto alone accepts for any message', async () => {
    const forged = new Uint8Array([...identity, ...new Uint8Array(32)])
    for (const text of ['pay Mallory', 'anything at all']) {
      expect(await plainWebCrypto(identity, forged, utf8(text))).toBe(true)
      for (const via of implementations) expect(await verifySignatureUsing(via, identity, forged, utf8(text))).toBe(false)
      // Twice: the refusal is remembered with the key, not only computed once.
      expect(await verifySignature(identity, forged, utf8(text))).toBe(false)
      expect(await verifySignature(identity, forged, utf8(text))).toBe(false)
    }
    // The same attack with the identity spelled non-canonically (y = p + 1).
    const spelled = le(P + 1n)
    expect(await plainWebCrypto(spelled, forged, message)).toBe(true)
    for (const via of implementations) expect(await verifySignatureUsing(via, spelled, forged, message)).toBe(false)
    expect(await verifySignature(spelled, forged, message)).toBe(false)
  })

  it('refuses every small-order and non-canonical public key before any library sees it', () => {
    for (const hex of ED25519_TORSION_SUBGROUP) expect(publicKeyProblem(hexToBytes(hex))).toMatch(/small-order point/)
    expect(publicKeyProblem(le(P + 1n))).toMatch(/not the canonical encoding/)
    expect(publicKeyProblem(hexToBytes('01'.padEnd(62, '0') + '80'))).toMatch(/not the canonical encoding/)
    expect(publicKeyProblem(le(2n))).toMatch(/not a point/)
    expect(publicKeyProblem(Point.fromBytes(signer.publicKey).add(order8).toBytes())).toMatch(/small-order component/)
    expect(publicKeyProblem(new Uint8Array(31))).toMatch(/32 bytes, not 31/)
  })

  it('refuses a non-canonical S (S + L) through both libraries', async () => {
    const signature = await signer.sign(message)
    const S = bytesToNumberLE(signature.subarray(32))
    const stretched = new Uint8Array([...signature.subarray(0, 32), ...le(S + L)])
    for (const via of implementations) expect(await verifySignatureUsing(via, signer.publicKey, stretched, message)).toBe(false)
    expect(await verifySignature(signer.publicKey, stretched, message)).toBe(false)
  })

  it('refuses an R with a small-order component, which @noble/curves\' own strict mode (cofactored) accepts', async () => {
    const r = 987654321n
    const R = Point.BASE.multiply(r).add(order8).toBytes()
    const k = bytesToNumberLE(sha512(new Uint8Array([...R, ...signer.publicKey, ...message]))) % L
    const signature = new Uint8Array([...R, ...le((r + k * scalar) % L)])
    expect(ed25519.verify(signature, message, signer.publicKey, { zip215: false })).toBe(true)
    for (const via of implementations) expect(await verifySignatureUsing(via, signer.publicKey, signature, message)).toBe(false)
    expect(await verifySignature(signer.publicKey, signature, message)).toBe(false)
  })

  it('refuses R = identity with S = k·a, which satisfies the equation and which WebCrypto alone accepts', async () => {
    const k = bytesToNumberLE(sha512(new Uint8Array([...identity, ...signer.publicKey, ...message]))) % L
    const signature = new Uint8Array([...identity, ...le((k * scalar) % L)])
    expect(await plainWebCrypto(signer.publicKey, signature, message)).toBe(true)
    for (const via of implementations) expect(await verifySignatureUsing(via, signer.publicKey, signature, message)).toBe(false)
    expect(await verifySignature(signer.publicKey, signature, message)).toBe(false)
  })

  it('gives the same answer through WebCrypto and @noble/curves for damaged signatures, torsion-shifted R and random keys', { timeout: LOADED_MACHINE_TIMEOUT_MS }, async () => {
    const random = deterministicRandom('ed25519-agreement')
    let accepted = 0
    let cases = 0
    for (let i = 0; i < 40; i++) {
      const own = createSigner(random(32))
      const text = random(1 + (i % 50))
      const honest = await own.sign(text)
      const [t] = random(1)
      const torsion = Point.fromHex(ED25519_TORSION_SUBGROUP[t! % 8]!)
      const variants: Array<[Uint8Array, Uint8Array]> = [
        [own.publicKey, honest],
        [own.publicKey, honest.map((b, j) => (j === t! % 64 ? b ^ (1 << (i % 8)) : b))],
        [own.publicKey, new Uint8Array([...Point.fromBytes(honest.subarray(0, 32)).add(torsion).toBytes(), ...honest.subarray(32)])],
        [Point.fromBytes(own.publicKey).add(torsion).toBytes(), honest],
        [random(32), honest]
      ]
      for (const [publicKey, signature] of variants) {
        const answers = await Promise.all(implementations.map(async (via) => await verifySignatureUsing(via, publicKey, signature, text)))
        expect(answers[0], `case ${cases}`).toBe(answers[1])
        expect(await verifySignature(publicKey, signature, text)).toBe(answers[0])
        if (answers[0]!) accepted++
        cases++
      }
    }
    // Each round's honest signature, and its torsion-shifted copies only when the shift is the identity (1 in 8).
    expect(accepted).toBeGreaterThanOrEqual(40)
    expect(accepted).toBeLessThan(cases / 2)
  })
})
