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
import { decode as cborDecode, Tokenizer, Type, type Token } from 'cborg'
import { TooComplexError } from './errors.ts'

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
 * A tokenizer over `bytes` that refuses the item past `limits`. `open` holds,
 * for each list, map or tag being read, how many items it still contains:
 * the nesting depth is its length.
 */
class BoundedTokenizer extends Tokenizer {
  private items = 0
  private readonly open: number[] = []
  private readonly limits: DecodeLimits
  private readonly what: string

  constructor (bytes: Uint8Array, limits: DecodeLimits, what: string) {
    super(bytes, dagCbor.decodeOptions)
    this.limits = limits
    this.what = what
  }

  override next (): Token {
    const token = super.next()
    if (++this.items > this.limits.maxItems) throw new TooComplexError(`${this.what} holds more than ${this.limits.maxItems} items`)
    if (this.open.length > 0) this.open[this.open.length - 1]!--
    const contained = itemsWithin(token)
    if (contained > 0) {
      this.open.push(contained)
      if (this.open.length > this.limits.maxDepth) throw new TooComplexError(`${this.what} nests deeper than ${this.limits.maxDepth} levels`)
    }
    while (this.open.length > 0 && this.open[this.open.length - 1] === 0) this.open.pop()
    return token
  }
}

/**
 * Decodes dag-cbor `bytes` within `limits`: TooComplexError past them, and
 * the decoder's own error for bytes that are not dag-cbor. `what` names the
 * structure in the error.
 */
export function decodeBoundedDagCbor (bytes: Uint8Array, limits: DecodeLimits, what: string): unknown {
  // A plain Uint8Array view, as dag-cbor's own decode makes: byte strings read from a Node Buffer would be Buffers.
  const view = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return cborDecode(view, { ...dagCbor.decodeOptions, tokenizer: new BoundedTokenizer(view, limits, what) })
}
