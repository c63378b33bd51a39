/**
 * Ed25519 signing and verification through WebCrypto, the fastest signer in
 * both Node 22 and Chromium, with @noble/curves as the fallback where a
 * platform's WebCrypto lacks Ed25519. Signatures are identical either way
 * (Ed25519 is deterministic), so the choice never changes bytes on the wire.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
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

let webCryptoWorks: Promise<boolean> | undefined

/** Whether this platform's WebCrypto has Ed25519 (probed once). */
function hasWebCryptoEd25519 (): Promise<boolean> {
  webCryptoWorks ??= crypto.subtle.importKey('raw', new Uint8Array(ed25519.getPublicKey(new Uint8Array(32))), ALGORITHM, false, ['verify'])
    .then(() => true, () => false)
  return webCryptoWorks
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
  /** Whether WebCrypto refused the key (not a valid curve point): no signature verifies. */
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
    const ready = hasWebCryptoEd25519().then(async (ok) => {
      created.key = ok ? await crypto.subtle.importKey('raw', asBuffer(raw), ALGORITHM, false, ['verify']) : null
    }).catch(() => {
      created.key = null
      created.invalid = true
    })
    const created: VerifyKey = { raw, key: undefined, ready, invalid: false }
    entry = created
    verifyKeys.set(id, entry)
  }
  verifyKeysByArray.set(publicKey, entry)
  return entry
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
      return Promise.resolve(ed25519.verify(signature, message, entry.raw))
    } catch (error) {
      return Promise.reject(error)
    }
  }
  return crypto.subtle.verify(ALGORITHM, entry.key!, asBuffer(signature), asBuffer(message))
}

/**
 * Whether `signature` is a valid Ed25519 signature of `message` by `publicKey`.
 * Once a public key has been imported, the message goes to WebCrypto
 * synchronously, without a turn of the event loop first.
 */
export function verifySignature (publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH || signature.length !== ED25519_SIGNATURE_LENGTH) return Promise.resolve(false)
  const entry = verifyKeyFor(publicKey)
  if (entry.key !== undefined || entry.invalid) return verifyWith(entry, signature, message)
  return entry.ready.then(async () => await verifyWith(entry, signature, message))
}
