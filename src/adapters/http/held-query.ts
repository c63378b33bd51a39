/**
 * "Which of these blocks do you hold?": the question a device asks a follower
 * (`POST /v1/held-blocks`) before it lets its own copy of an original go, and
 * the answer, as both sides read them.
 *
 * ```
 * query   application/json  { "cids": ["bafy…", …] }       at most HELD_QUERY_LIMITS.maxCids CIDs
 * answer  application/json  { "held": [true, false, …] }    one boolean per CID, in the same order
 * ```
 * The answer tells, per CID, exactly what `GET /v1/blocks/<cid>` tells by its
 * status (200 or 404), and less (no size, no bytes): asking costs a follower
 * one lookup per CID, at most {@link HELD_QUERY_LIMITS}.maxCids per request.
 * Both sides are strangers to each other: each parses what the other sent
 * through a JSON Schema (ajv) within a byte limit, and refuses anything else
 * by name.
 */
import Ajv from 'ajv'
import { CID } from 'multiformats/cid'
import { BadCidError, ThreadsError } from '../../core/errors.ts'

/** The path of the query on a follower's HTTP side. */
export const HELD_QUERY_PATH = '/v1/held-blocks'

/** Bounds of one query. */
export const HELD_QUERY_LIMITS = {
  /** CIDs one query may name. */
  maxCids: 1024,
  /** Characters of one CID as text (a CIDv1 sha2-256 in base32 is 59). */
  maxCidLength: 200,
  /** Bytes of a query body: the CIDs, quoted and separated, and the braces. */
  maxQueryBytes: 1024 * 204 + 64,
  /** Bytes of an answer body. */
  maxAnswerBytes: 1024 * 6 + 64
} as const

/** A query or an answer that is not of the shape above. */
export class MalformedHeldQueryError extends ThreadsError {
  static override readonly errorName = 'MalformedHeldQueryError'
}

const ajv = new Ajv({ allErrors: false })
const validQuery = ajv.compile<{ cids: string[] }>({
  type: 'object',
  required: ['cids'],
  additionalProperties: false,
  properties: { cids: { type: 'array', minItems: 1, maxItems: HELD_QUERY_LIMITS.maxCids, items: { type: 'string', minLength: 1, maxLength: HELD_QUERY_LIMITS.maxCidLength } } }
})
const validAnswer = ajv.compile<{ held: boolean[] }>({
  type: 'object',
  required: ['held'],
  additionalProperties: false,
  properties: { held: { type: 'array', maxItems: HELD_QUERY_LIMITS.maxCids, items: { type: 'boolean' } } }
})

/** JSON text parsed, or `MalformedHeldQueryError` naming `what`. */
function parseJson (bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (cause) {
    throw new MalformedHeldQueryError(`${what} is not JSON`, { cause })
  }
}

/** The body of a query for `cids` (at most `maxCids` of them). */
export function encodeHeldQuery (cids: readonly CID[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ cids: cids.map(String) }))
}

/** The CIDs a query body names; `MalformedHeldQueryError` for another shape, `BadCidError` for a string that is no CID. */
export function parseHeldQuery (bytes: Uint8Array): CID[] {
  const value = parseJson(bytes, 'the query')
  if (!validQuery(value)) throw new MalformedHeldQueryError(`the query is { "cids": [CID, …] } with 1 to ${HELD_QUERY_LIMITS.maxCids} CIDs: ${ajv.errorsText(validQuery.errors)}`)
  return value.cids.map((text) => {
    try {
      return CID.parse(text)
    } catch (cause) {
      throw new BadCidError(`"${text.slice(0, 80)}" is not a CID`, text, { cause })
    }
  })
}

/** The body of the answer `held`. */
export function encodeHeldAnswer (held: readonly boolean[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ held }))
}

/** Which of `asked` CIDs an answer says are held; `MalformedHeldQueryError` unless it is one boolean per CID. */
export function parseHeldAnswer (bytes: Uint8Array, asked: number): boolean[] {
  const value = parseJson(bytes, 'the answer')
  if (!validAnswer(value) || value.held.length !== asked) throw new MalformedHeldQueryError(`the answer is { "held": [boolean, …] } with one entry for each of the ${asked} CIDs asked`)
  return value.held
}
