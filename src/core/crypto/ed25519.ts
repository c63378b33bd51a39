/**
 * Ed25519 signing and verification through WebCrypto, the fastest signer in
 * both Node 22 and Chromium, with @noble/curves as the fallback where a
 * platform's WebCrypto lacks Ed25519. Signatures are identical either way
 * (Ed25519 is deterministic), so the choice never changes bytes on the wire.
 *
 * Verification follows one rule whichever library runs it (strict RFC 8032,
 * cofactorless), so that two peers, or a peer and another implementation,
 * never disagree about a record:
 *  - the public key A is the canonical encoding of a curve point (y < p, and
 *    no sign bit when x = 0), is not of small order, and lies in the
 *    prime-order subgroup ([L]A = O);
 *  - the signature's S is below the group order L, and R is a canonical point
 *    encoding other than the identity (as libsodium also requires);
 *  - [S]B = R + [k]A with k = SHA-512(R || A || M) mod L.
 * WebCrypto checks most of the last two itself but accepts small-order keys
 * (with the identity as A, R = identity and S = 0 "sign" every message) and
 * R = identity; those are therefore checked here before either library runs.
 * @noble/curves' strict mode checks the cofactored equation
 * [8]([S]B − R − [k]A) = O; with A in the prime-order subgroup, that equals
 * the cofactorless one exactly when R is in that subgroup too, which is
 * checked after it. docs/PROTOCOL.md ("Verifying a signature") states the rule.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE } from '@noble/curves/utils.js'
import { base64url } from 'multiformats/bases/base64'

/** A WebCrypto key, typed from the platform's own importKey (core declares a minimal one; DOM builds use CryptoKey). */
type PlatformKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>
/** Bytes as WebCrypto's typings want them (never a SharedArrayBuffer view here). */
const asBuffer = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>

const ALGORITHM = { name: 'Ed25519' }
/** Public key length in bytes. */
export const ED25519_PUBLIC_KEY_LENGTH = 32
/** Signature length in bytes. */
export const ED25519_SIGNATURE_LENGTH = 64

/** Something that signs with one Ed25519 private key. */
export interface Signer {
  readonly publicKey: Uint8Array
  sign(message: Uint8Array): Promise<Uint8Array>
}

/**
 * Makes the signer of a 32-byte seed. createSigner is the default; a runtime
 * with a faster audited Ed25519 passes its own (Node: node:crypto, see
 * src/adapters/node/ed25519-signer.ts). Ed25519 is deterministic, so any
 * correct implementation signs the same bytes.
 */
export type SignerFactory = (seed: Uint8Array) => Signer

let webCryptoWorks: Promise<boolean> | undefined

/** Whether this platform's WebCrypto has Ed25519 (probed once). */
function hasWebCryptoEd25519 (): Promise<boolean> {
  webCryptoWorks ??= crypto.subtle.importKey('raw', new Uint8Array(ed25519.getPublicKey(new Uint8Array(32))), ALGORITHM, false, ['verify'])
    .then(() => true, () => false)
  return webCryptoWorks
}

const { Point } = ed25519
/** The order L of the prime-order subgroup: a signature's S must be below it. */
const GROUP_ORDER = Point.Fn.ORDER

/**
 * Why `publicKey` is not an acceptable Ed25519 public key (see the rule above),
 * or undefined when it is one.
 */
export function publicKeyProblem (publicKey: Uint8Array): string | undefined {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) return `an Ed25519 public key is ${ED25519_PUBLIC_KEY_LENGTH} bytes, not ${publicKey.length}`
  // The subgroup check is a scalar multiplication in JavaScript; a key is checked when its log ID is
  // read and again before its first signature: the answer is remembered for both.
  const id = base64url.baseEncode(publicKey)
  const known = keyProblems.get(id)
  if (known !== undefined) return known === '' ? undefined : known
  const problem = keyProblemOf(publicKey)
  if (keyProblems.size >= MAX_CACHED_KEYS) keyProblems.clear()
  keyProblems.set(id, problem ?? '')
  return problem
}

/** Answers of publicKeyProblem by key ('' for none). */
const keyProblems = new Map<string, string>()

function keyProblemOf (publicKey: Uint8Array): string | undefined {
  let point
  try {
    point = Point.fromBytes(publicKey, false)
  } catch {
    // The lenient (ZIP-215) decoding tells a non-canonical spelling of a point from bytes that name no point.
    try {
      Point.fromBytes(publicKey, true)
      return 'the public key is not the canonical encoding of its point (y is not below 2^255 − 19, or x = 0 with the sign bit set)'
    } catch {
      return 'the public key is not a point on the Ed25519 curve'
    }
  }
  if (point.isSmallOrder()) return 'the public key is a small-order point (one of the 8 torsion points, such as the identity)'
  if (!point.isTorsionFree()) return 'the public key has a small-order component (it is not in the prime-order subgroup)'
  return undefined
}

/** Whether a signature's S (its last 32 bytes, little-endian) is below L, as RFC 8032 requires. */
function hasCanonicalScalar (signature: Uint8Array): boolean {
  // L is just above 2^252: a top byte below 0x10 is always canonical and above it never; only 0x10 needs the full comparison.
  const top = signature[ED25519_SIGNATURE_LENGTH - 1]!
  if (top !== 0x10) return top < 0x10
  return bytesToNumberLE(signature.subarray(ED25519_PUBLIC_KEY_LENGTH)) < GROUP_ORDER
}

/** Whether a signature passes the strict rule through @noble/curves (see the module comment). */
function verifyWithNoble (publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean {
  if (!ed25519.verify(signature, message, publicKey, { zip215: false })) return false
  try {
    return Point.fromBytes(signature.subarray(0, ED25519_PUBLIC_KEY_LENGTH), false).isTorsionFree()
  } catch {
    return false
  }
}

/** The public key of a 32-byte Ed25519 seed (private key). */
export function publicKeyFromSeed (seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed)
}

/**
 * A signer for a 32-byte seed; its WebCrypto key is imported once and reused.
 * Once the key is ready, `sign` hands the message to WebCrypto synchronously,
 * so the caller can do other work (sealing the next event) while it signs.
 */
export function createSigner (seed: Uint8Array): Signer {
  const publicKey = publicKeyFromSeed(seed)
  let ready: PlatformKey | null | undefined // undefined: importing; null: no WebCrypto Ed25519
  const importing = hasWebCryptoEd25519().then(async (ok) => {
    ready = ok
      ? await crypto.subtle.importKey('jwk', {
        kty: 'OKP', crv: 'Ed25519', d: base64url.baseEncode(seed), x: base64url.baseEncode(publicKey)
      }, ALGORITHM, false, ['sign'])
      : null
  })
  const signWith = (key: PlatformKey | null, message: Uint8Array): Promise<Uint8Array> => key === null
    ? Promise.resolve(ed25519.sign(message, seed))
    : crypto.subtle.sign(ALGORITHM, key, asBuffer(message)).then((signature) => new Uint8Array(signature))
  return {
    publicKey,
    sign (message) {
      if (ready !== undefined) return signWith(ready, message)
      return importing.then(async () => await signWith(ready ?? null, message))
    }
  }
}

/** A public key's WebCrypto key once imported; null where WebCrypto lacks Ed25519 or rejects the key. */
interface VerifyKey {
  readonly raw: Uint8Array
  key: PlatformKey | null | undefined // undefined: still importing
  readonly ready: Promise<void>
  /** Whether the key breaks the key rule or WebCrypto refused it: no signature verifies. */
  invalid: boolean
}

const verifyKeys = new Map<string, VerifyKey>()
// The same public key array is usually passed again and again (log IDs map to one cached array), so
// a lookup by identity comes first; it is confirmed against a copy of the bytes, in case the array changed.
const verifyKeysByArray = new WeakMap<Uint8Array, VerifyKey>()
const MAX_CACHED_KEYS = 4096

function verifyKeyFor (publicKey: Uint8Array): VerifyKey {
  const known = verifyKeysByArray.get(publicKey)
  if (known !== undefined && bytesEqual(known.raw, publicKey)) return known
  const id = base64url.baseEncode(publicKey)
  let entry = verifyKeys.get(id)
  if (entry === undefined) {
    if (verifyKeys.size >= MAX_CACHED_KEYS) verifyKeys.clear()
    const raw = publicKey.slice()
    // A key that breaks the key rule never reaches WebCrypto, which would accept some of them.
    entry = publicKeyProblem(raw) === undefined ? importVerifyKey(raw) : { raw, key: null, ready: Promise.resolve(), invalid: true }
    verifyKeys.set(id, entry)
  }
  verifyKeysByArray.set(publicKey, entry)
  return entry
}

function importVerifyKey (raw: Uint8Array): VerifyKey {
  const ready = hasWebCryptoEd25519().then(async (ok) => {
    created.key = ok ? await crypto.subtle.importKey('raw', asBuffer(raw), ALGORITHM, false, ['verify']) : null
  }).catch(() => {
    created.key = null
    created.invalid = true
  })
  const created: VerifyKey = { raw, key: undefined, ready, invalid: false }
  return created
}

function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function verifyWith (entry: VerifyKey, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  if (entry.invalid) return Promise.resolve(false)
  if (entry.key === null) {
    try {
      return Promise.resolve(verifyWithNoble(entry.raw, signature, message))
    } catch (error) {
      return Promise.reject(error)
    }
  }
  return crypto.subtle.verify(ALGORITHM, entry.key!, asBuffer(signature), asBuffer(message))
}

/** Whether R (the first 32 bytes) is the identity point's canonical encoding, 01 00 … 00. */
function isIdentityR (signature: Uint8Array): boolean {
  if (signature[0] !== 1) return false
  for (let i = 1; i < ED25519_PUBLIC_KEY_LENGTH; i++) if (signature[i] !== 0) return false
  return true
}

/** Whether the lengths, S < L and R ≠ identity hold: the checks on the signature that come before any library runs. */
function hasValidShape (publicKey: Uint8Array, signature: Uint8Array): boolean {
  return publicKey.length === ED25519_PUBLIC_KEY_LENGTH && signature.length === ED25519_SIGNATURE_LENGTH &&
    hasCanonicalScalar(signature) && !isIdentityR(signature)
}

/**
 * Whether `signature` is a valid Ed25519 signature of `message` by `publicKey`
 * under the strict rule above.
 * Once a public key has been imported, the message goes to WebCrypto
 * synchronously, without a turn of the event loop first.
 */
export function verifySignature (publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  if (!hasValidShape(publicKey, signature)) return Promise.resolve(false)
  const entry = verifyKeyFor(publicKey)
  if (entry.key !== undefined || entry.invalid) return verifyWith(entry, signature, message)
  return entry.ready.then(async () => await verifyWith(entry, signature, message))
}

/**
 * verifySignature's rule, answered synchronously through @noble/curves, for
 * pure functions that cannot wait for WebCrypto (such as evaluating an ACL).
 * Slower than verifySignature; use it only where few signatures are checked.
 */
export function verifySignatureSync (publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean {
  if (!hasValidShape(publicKey, signature) || publicKeyProblem(publicKey) !== undefined) return false
  try {
    return verifyWithNoble(publicKey, signature, message)
  } catch {
    return false
  }
}

/** The libraries that can run verifySignature's rule. */
export type Ed25519Implementation = 'webcrypto' | 'noble'

/**
 * verifySignature through the implementation named, with nothing cached, so
 * that tests and vectors can show both give the same answer. Throws where
 * 'webcrypto' is asked for and the platform's WebCrypto lacks Ed25519.
 */
export async function verifySignatureUsing (implementation: Ed25519Implementation, publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  if (implementation === 'noble') return verifySignatureSync(publicKey, signature, message)
  if (!hasValidShape(publicKey, signature) || publicKeyProblem(publicKey) !== undefined) return false
  const key = await crypto.subtle.importKey('raw', asBuffer(publicKey.slice()), ALGORITHM, false, ['verify'])
  return await crypto.subtle.verify(ALGORITHM, key, asBuffer(signature), asBuffer(message))
}
