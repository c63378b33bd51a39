/**
 * Shape checks for decoded dag-cbor maps, shared by the record format and the
 * ACL codec: a value must be a plain map, with exactly the fields its type
 * names. Each caller passes the error class that names its format.
 */
import { CID } from 'multiformats/cid'

/** The error class a format reports a malformed structure with. */
export type ShapeErrorClass = new (message: string) => Error

/** `value` as a map, or `error` when it is anything else (an array, bytes, a link, null, a scalar). */
export function asMap (value: unknown, what: string, error: ShapeErrorClass): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || CID.asCID(value) !== null) {
    throw new error(`${what} must be a map`)
  }
  return value as Record<string, unknown>
}

/** Throws `error` unless `map` has exactly `fields` (the message names at most 8 unknown fields, each cut to 40 characters). */
export function exactFields (map: Record<string, unknown>, fields: readonly string[], what: string, error: ShapeErrorClass): void {
  const extra = Object.keys(map).filter((k) => !fields.includes(k))
  if (extra.length > 0) throw new error(`${what} has unknown fields: ${extra.slice(0, 8).map((k) => k.slice(0, 40)).join(', ')}`)
  const missing = fields.filter((k) => !(k in map))
  if (missing.length > 0) throw new error(`${what} lacks fields: ${missing.join(', ')}`)
}
