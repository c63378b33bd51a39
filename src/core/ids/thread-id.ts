/**
 * Thread IDs as the Threads paper's Figure 5 lays them out:
 *   multibase prefix | varint version (0x01) | varint variant | random bytes (≥ 16)
 * A thread ID has one spelling: base32 lower case, prefix "b", no padding.
 * parseThreadId, used for everything a peer sends and everything stored,
 * accepts only that spelling, so one thread can never be held under two names.
 * canonicalThreadId is for text a person typed or pasted: it also reads the
 * other multibases multiformats knows and returns the canonical spelling.
 * Both check every part and say which one is wrong.
 */
import { varint } from 'multiformats'
import { bases } from 'multiformats/basics'
import { base32 } from 'multiformats/bases/base32'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { MalformedThreadIdError } from '../errors.ts'

/** The only thread ID version defined so far. */
export const THREAD_ID_VERSION = 0x01
/** Thread variants: what consumers may assume about a thread. */
export const ThreadVariant = {
  /** No further assumptions (the default). */
  Raw: 0x55,
  /** An access control list is composed from log events. */
  AccessControlled: 0x70
} as const
export type ThreadVariant = typeof ThreadVariant[keyof typeof ThreadVariant]
/** Minimum and default number of random bytes. */
export const MIN_RANDOM_BYTES = 16
export const DEFAULT_RANDOM_BYTES = 32
/** Upper bound that keeps IDs usable as pubsub topics and keys. */
export const MAX_RANDOM_BYTES = 256

/** A parsed, valid thread ID. */
export interface ThreadId {
  readonly version: number
  readonly variant: ThreadVariant
  readonly random: Uint8Array
  /** The binary form (version, variant, random) without multibase. */
  readonly bytes: Uint8Array
  /** The base32 multibase string, the canonical form. */
  toString(): string
}

// Every multibase multiformats knows, looked up by the text's prefix character.
const knownBases = Object.values(bases)
const variants = new Set<number>(Object.values(ThreadVariant))

/** Creates a new thread ID with fresh random bytes. */
export function createThreadId (options: { variant?: ThreadVariant, randomLength?: number, random?: RandomSource } = {}): ThreadId {
  const length = options.randomLength ?? DEFAULT_RANDOM_BYTES
  if (!Number.isInteger(length) || length < MIN_RANDOM_BYTES || length > MAX_RANDOM_BYTES) {
    throw new MalformedThreadIdError(`random part must be ${MIN_RANDOM_BYTES} to ${MAX_RANDOM_BYTES} bytes, not ${length}`)
  }
  return threadIdWithRandom({ variant: options.variant ?? ThreadVariant.Raw, random: (options.random ?? secureRandom)(length) })
}

/**
 * The thread ID with the given random part (for IDs derived from other data,
 * such as an access-controlled thread's hash of its owner and nonce).
 */
export function threadIdWithRandom (options: { variant: ThreadVariant, random: Uint8Array }): ThreadId {
  const { variant, random } = options
  if (!variants.has(variant)) throw new MalformedThreadIdError(`unknown variant 0x${Number(variant).toString(16)}`)
  if (random.length < MIN_RANDOM_BYTES || random.length > MAX_RANDOM_BYTES) {
    throw new MalformedThreadIdError(`random part must be ${MIN_RANDOM_BYTES} to ${MAX_RANDOM_BYTES} bytes, not ${random.length}`)
  }
  return threadIdFromParts(THREAD_ID_VERSION, variant, random.slice())
}

/**
 * The longest text either parser decodes: the largest ID (2 + 256 bytes) in
 * the least dense multibase multiformats knows (base2) is about 2,065
 * characters; longer text is refused before any decoding.
 */
const MAX_TEXT_LENGTH = 2100

/**
 * Parses a thread ID in its canonical spelling (base32 lower case, prefix
 * "b"), as it must appear on the wire and in storage; any other spelling,
 * even of a valid ID, is MalformedThreadIdError saying so.
 */
export function parseThreadId (text: string): ThreadId {
  const id = threadIdFromMultibase(text)
  if (id.toString() !== text) {
    throw new MalformedThreadIdError(`"${text.slice(0, 80)}" is not the canonical base32 form of a thread ID; that is ${id.toString()}`)
  }
  return id
}

/**
 * The canonical spelling of a thread ID typed or pasted in any multibase
 * multiformats knows (surrounding white space ignored); for API entry points
 * that take a person's input. Malformed IDs are MalformedThreadIdError.
 */
export function canonicalThreadId (text: string): string {
  if (typeof text !== 'string') throw new MalformedThreadIdError('a thread ID must be a non-empty string')
  return threadIdFromMultibase(text.trim()).toString()
}

function threadIdFromMultibase (text: string): ThreadId {
  if (typeof text !== 'string' || text.length === 0) throw new MalformedThreadIdError('a thread ID must be a non-empty string')
  if (text.length > MAX_TEXT_LENGTH) throw new MalformedThreadIdError(`a thread ID is at most ${MAX_TEXT_LENGTH} characters, this text is ${text.length}`)
  let bytes: Uint8Array
  try {
    const base = knownBases.find((b) => text.startsWith(b.prefix))
    if (base === undefined) throw new Error(`unknown multibase prefix "${[...text][0] ?? ''}"`)
    bytes = base.decoder.decode(text)
  } catch (cause) {
    throw new MalformedThreadIdError(`"${text.slice(0, 80)}" is not multibase text (${(cause as Error).message})`, { cause })
  }
  return threadIdFromBytes(bytes)
}

/** Validates the binary form (without multibase prefix). */
export function threadIdFromBytes (bytes: Uint8Array): ThreadId {
  const [version, versionLength] = readVarint(bytes, 0, 'version')
  if (version !== THREAD_ID_VERSION) throw new MalformedThreadIdError(`unsupported version ${version}; expected ${THREAD_ID_VERSION}`)
  const [variant, variantLength] = readVarint(bytes, versionLength, 'variant')
  if (!variants.has(variant)) throw new MalformedThreadIdError(`unknown variant 0x${variant.toString(16)}; expected 0x55 (raw) or 0x70 (access-controlled)`)
  const random = bytes.subarray(versionLength + variantLength)
  if (random.length < MIN_RANDOM_BYTES) throw new MalformedThreadIdError(`random part is ${random.length} bytes; at least ${MIN_RANDOM_BYTES} are required`)
  if (random.length > MAX_RANDOM_BYTES) throw new MalformedThreadIdError(`random part is ${random.length} bytes; at most ${MAX_RANDOM_BYTES} are allowed`)
  return threadIdFromParts(version, variant as ThreadVariant, random.slice())
}

function threadIdFromParts (version: number, variant: ThreadVariant, random: Uint8Array): ThreadId {
  const head = [...varint.encodeTo(version, new Uint8Array(varint.encodingLength(version))), ...varint.encodeTo(variant, new Uint8Array(varint.encodingLength(variant)))]
  const bytes = new Uint8Array(head.length + random.length)
  bytes.set(head)
  bytes.set(random, head.length)
  const text = base32.encode(bytes)
  return { version, variant, random, bytes, toString: () => text }
}

function readVarint (bytes: Uint8Array, offset: number, part: string): [number, number] {
  if (offset >= bytes.length) throw new MalformedThreadIdError(`ID ends before its ${part}`)
  // An 8-byte maximum per field, as the paper allows; longer varints are rejected.
  const window = bytes.subarray(offset, offset + 9)
  try {
    const [value, length] = varint.decode(window)
    if (length > 8) throw new Error('longer than 8 bytes')
    return [value, length]
  } catch (cause) {
    throw new MalformedThreadIdError(`${part} is not a valid varint`, { cause })
  }
}
