/**
 * dag-cbor decoding with a budget, for every structure a peer, a link or a
 * file hands us. A byte limit alone does not bound the work: 8 MiB of
 * one-byte items is eight million values, and cborg's decoder recurses once
 * per level of nesting. Here the decoder reads through a tokenizer that
 * counts items and tracks how deep it is, and stops at the first item past
 * either limit with a TooComplexError (a declared length is not trusted or
 * allocated: items are counted as they are read), so a crafted structure costs at most
 * what `maxItems` honest items cost, and cannot exhaust the stack.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { decode as cborDecode, Tokenizer, Type, type TagDecodeControl, type Token } from 'cborg'
import { equals } from 'multiformats/bytes'
import { CID } from 'multiformats/cid'
import { Digest } from 'multiformats/hashes/digest'
import { TooComplexError } from './errors.ts'

/** The CBOR tag of a CID in dag-cbor. */
const CID_TAG = 42

/** How much one decode may hold. */
export interface DecodeLimits {
  /** Most CBOR items (every value, map key, list and tag counts one). */
  readonly maxItems: number
  /** Deepest nesting of lists, maps and tags (a scalar at the top is depth 0). */
  readonly maxDepth: number
}

/**
 * Limits for a block of the record format (record nodes, events, headers, ACL
 * bodies, payloads of up to 1 MiB) and other small structures. Honest records
 * hold tens of items; a payload is a document, whose fields the application
 * chooses, so this is generous and still bounds a decode to milliseconds.
 */
export const BLOCK_DECODE_LIMITS: DecodeLimits = { maxItems: 100_000, maxDepth: 64 }

/** How many items follow `token` inside it: a map's keys and values, a list's items, a tag's one value. */
function itemsWithin (token: Token): number {
  if (Type.equals(token.type, Type.map)) return 2 * (token.value as number)
  if (Type.equals(token.type, Type.array)) return token.value as number
  return Type.equals(token.type, Type.tag) ? 1 : 0
}

/**
 * A dag-cbor encoding other than the one @ipld/dag-cbor's encoder writes for
 * its value (see `decodeCanonicalDagCbor`).
 */
export class NonCanonicalCborError extends Error {
  override name = 'NonCanonicalCborError'
}

/** How many bytes the head of the item starting with `initial` takes (its length or value included). */
function headLength (initial: number): number {
  const info = initial & 31
  return info < 24 ? 1 : 1 + (1 << (info - 24))
}

const CBOR_NULL = 0xf6
const FLOAT64_LENGTH = 9

/**
 * A tokenizer over `bytes` that refuses the item past `limits`, and in
 * canonical mode any item whose encoding differs from the one dag-cbor's
 * encoder would write for what it decodes to. `open` holds, for each list,
 * map or tag being read, how many items it still contains: the nesting depth
 * is its length. `keyStarts` and `keyEnds` hold, for each of them, where the
 * encoding of a map's last key starts and ends (`NOT_A_MAP` for lists and tags).
 */
class BoundedTokenizer extends Tokenizer {
  private items = 0
  private readonly open: number[] = []
  private readonly keyStarts: number[] = []
  private readonly keyEnds: number[] = []
  private readonly limits: DecodeLimits
  private readonly what: string
  private readonly canonical: boolean

  constructor (bytes: Uint8Array, limits: DecodeLimits, what: string, canonical: boolean) {
    super(bytes, dagCbor.decodeOptions)
    this.limits = limits
    this.what = what
    this.canonical = canonical
  }

  override next (): Token {
    const start = this.pos()
    const token = super.next()
    if (++this.items > this.limits.maxItems) throw new TooComplexError(`${this.what} holds more than ${this.limits.maxItems} items`)
    const depth = this.open.length
    if (this.canonical) {
      checkCanonicalToken(token, this.data, start, this.pos())
      // In a map of n pairs the 2n items left alternate key, value: an even count left means a key comes.
      if (depth > 0 && this.keyStarts[depth - 1] !== NOT_A_MAP && this.open[depth - 1]! % 2 === 0) this.checkKeyOrder(depth - 1, start, this.pos())
    }
    if (depth > 0) this.open[depth - 1]!--
    const contained = itemsWithin(token)
    if (contained > 0) {
      this.open.push(contained)
      this.keyStarts.push(Type.equals(token.type, Type.map) ? NO_KEY_YET : NOT_A_MAP)
      this.keyEnds.push(NO_KEY_YET)
      if (this.open.length > this.limits.maxDepth) throw new TooComplexError(`${this.what} nests deeper than ${this.limits.maxDepth} levels`)
    }
    while (this.open.length > 0 && this.open[this.open.length - 1] === 0) {
      this.open.pop()
      this.keyStarts.pop()
      this.keyEnds.pop()
    }
    return token
  }

  /**
   * dag-cbor's encoder writes a map's keys shortest encoding first, then in
   * byte order: each key must come after the one before it. An equal key is
   * left to the decoder, which names it as a repeated key.
   */
  private checkKeyOrder (level: number, start: number, end: number): void {
    const previousStart = this.keyStarts[level]!
    const previousEnd = this.keyEnds[level]!
    this.keyStarts[level] = start
    this.keyEnds[level] = end
    if (previousStart === NO_KEY_YET) return
    const length = end - start
    const previousLength = previousEnd - previousStart
    if (length !== previousLength) {
      if (length < previousLength) throw new NonCanonicalCborError('map keys are not in dag-cbor order')
      return
    }
    const data = this.data
    for (let i = 0; i < length; i++) {
      const a = data[previousStart + i]!
      const b = data[start + i]!
      if (a !== b) {
        if (b < a) throw new NonCanonicalCborError('map keys are not in dag-cbor order')
        return
      }
    }
  }
}

/** In `keyStarts`: a list or tag being read. */
const NOT_A_MAP = -2
/** In `keyStarts` and `keyEnds`: a map none of whose keys was read yet. */
const NO_KEY_YET = -1

/**
 * Checks that the item `token`, read from `data[start, end)`, is encoded as
 * dag-cbor's encoder encodes its value. The strict decoder already refuses
 * integers, lengths and tags longer than they need be, indefinite lengths,
 * NaN, infinities and simple values; what it lets through and the encoder
 * would write otherwise:
 * - a float, which the encoder writes in 64 bits, and as an integer when it
 *   is a safe integer (−0 included);
 * - `undefined`, which the decoder turns into null;
 * - a text string that is not UTF-8 as the encoder writes it (invalid bytes
 *   and a leading byte-order mark are lost in decoding).
 */
function checkCanonicalToken (token: Token, data: Uint8Array, start: number, end: number): void {
  const type = token.type
  if (Type.equals(type, Type.string)) {
    const from = start + headLength(data[start]!)
    for (let i = from; i < end; i++) {
      if (data[i]! >= 0x80) {
        if (!equals(utf8ToBytes(token.value as string), data.subarray(from, end))) throw new NonCanonicalCborError('a text string is not UTF-8 as dag-cbor writes it')
        return
      }
    }
  } else if (Type.equals(type, Type.float)) {
    if (end - start !== FLOAT64_LENGTH || Number.isSafeInteger(token.value)) throw new NonCanonicalCborError('a number is not written as dag-cbor writes it (a 64-bit float for non-integers, an integer otherwise)')
  } else if (Type.equals(type, Type.null)) {
    if (data[start] !== CBOR_NULL) throw new NonCanonicalCborError('undefined is not a dag-cbor value')
  }
}

/** dag-cbor's decoder of tag 42 (a CID): a leading zero byte, then the CID's binary form. */
const decodeCidTag = dagCbor.decodeOptions.tags[CID_TAG]!

/** Tag 42's content for a CIDv1 of dag-cbor with a 32-byte sha2-256 digest (every link of the record format): these bytes, then the digest. */
const BLOCK_CID_CONTENT = [0x00, 0x01, dagCbor.code, 0x12, 32] as const
const BLOCK_CID_CONTENT_LENGTH = BLOCK_CID_CONTENT.length + 32

/**
 * The CID of tag 42's content when it is a block CID (above): what
 * CID.decode builds, as views of the content, which the decoder has already
 * copied out of its input, rather than copies of it. Such bytes are the one
 * encoding of their CID.
 */
function blockCidOf (content: Uint8Array): CID | undefined {
  if (content.length !== BLOCK_CID_CONTENT_LENGTH) return undefined
  for (let i = 0; i < BLOCK_CID_CONTENT.length; i++) if (content[i] !== BLOCK_CID_CONTENT[i]) return undefined
  return new CID(1, dagCbor.code, new Digest(0x12, 32, content.subarray(BLOCK_CID_CONTENT.length), content.subarray(3)), content.subarray(1))
}

/** dag-cbor's tag 42 decoder handed content already read. */
const cidOfContent = (content: Uint8Array): CID => decodeCidTag(Object.assign(() => content, { entries: (): never => { throw new Error('tag 42 holds a byte string') } })) as CID

/** Tag 42: a block CID built from its bytes, any other CID as dag-cbor decodes it. */
function decodeCid (decode: TagDecodeControl): unknown {
  const content = decode() as Uint8Array
  return blockCidOf(content) ?? cidOfContent(content)
}

/**
 * Tag 42 as dag-cbor's encoder writes it: the CID's binary form must be the
 * one it prints (a CIDv0 written with its version and codec decodes, and is
 * written as its multihash alone).
 */
function decodeCanonicalCid (decode: TagDecodeControl): unknown {
  const content = decode() as Uint8Array
  const block = blockCidOf(content)
  if (block !== undefined) return block
  const cid = cidOfContent(content)
  if (!equals(cid.bytes, content.subarray(1))) throw new NonCanonicalCborError('a CID is not written as dag-cbor writes it')
  return cid
}

const TAGS = { ...dagCbor.decodeOptions.tags, [CID_TAG]: decodeCid }
const CANONICAL_TAGS = { ...dagCbor.decodeOptions.tags, [CID_TAG]: decodeCanonicalCid }

/** A plain Uint8Array view, as dag-cbor's own decode makes: byte strings read from a Node Buffer would be Buffers. */
const plainView = (bytes: Uint8Array): Uint8Array => bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/**
 * Decodes dag-cbor `bytes` within `limits`: TooComplexError past them, and
 * the decoder's own error for bytes that are not dag-cbor. `what` names the
 * structure in the error.
 */
export function decodeBoundedDagCbor (bytes: Uint8Array, limits: DecodeLimits, what: string): unknown {
  const view = plainView(bytes)
  return cborDecode(view, { ...dagCbor.decodeOptions, tags: TAGS, tokenizer: new BoundedTokenizer(view, limits, what, false) })
}

/**
 * `decodeBoundedDagCbor`, and `bytes` must be the one encoding dag-cbor's
 * encoder writes for the value they decode to (NonCanonicalCborError
 * otherwise): the same answer as encoding the value again and comparing
 * bytes (test/core/canonical-cbor.test.ts holds it to that over fuzzed
 * inputs), checked item by item as they are read, without encoding anything.
 */
export function decodeCanonicalDagCbor (bytes: Uint8Array, limits: DecodeLimits, what: string): unknown {
  const view = plainView(bytes)
  return cborDecode(view, { ...dagCbor.decodeOptions, tags: CANONICAL_TAGS, tokenizer: new BoundedTokenizer(view, limits, what, true) })
}
