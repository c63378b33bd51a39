/**
 * Database events: what a command becomes. One event is one record payload and
 * holds one or more operations that apply atomically (a transaction). Every
 * operation names the incarnation of the document it was written against (a
 * create starts one, a delete ends one), which is how a replica tells an update
 * that saw a delete or a re-create from one that did not. Format version 2;
 * docs/PROTOCOL.md describes it.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { InvalidCommandError, InvalidEventError } from './errors.ts'
import { isTextUpdate } from './text.ts'

/** Format version of database event payloads. */
export const DB_EVENT_VERSION = 2

/** Bytes of the random incarnation ID a writer gives each create (events may carry 1 to 32). */
export const INCARNATION_BYTES = 8

/** A plain JSON-like document body (no _id). */
export type Fields = Record<string, unknown>

/**
 * One change to one document or key. `inc` names the document's incarnation:
 * a create starts the incarnation it names; every other operation writes to
 * (or ends) the incarnation it names, and counts only while that one is the
 * document's current incarnation.
 */
export type Operation =
  /** Starts an incarnation of a document with exactly these fields. */
  | { readonly op: 'create', readonly coll: string, readonly id: string, readonly inc: Uint8Array, readonly fields: Fields }
  /** Sets and unsets fields of an incarnation. */
  | { readonly op: 'patch', readonly coll: string, readonly id: string, readonly inc: Uint8Array, readonly set: Fields, readonly unset: readonly string[] }
  /** Ends an incarnation (a tombstone). */
  | { readonly op: 'delete', readonly coll: string, readonly id: string, readonly inc: Uint8Array }
  /** A Yjs update to a collaborative text field of an incarnation. */
  | { readonly op: 'text', readonly coll: string, readonly id: string, readonly inc: Uint8Array, readonly field: string, readonly update: Uint8Array }

/** The payload of a database record. */
export interface DbEvent {
  readonly v: number
  readonly type: 'db'
  /** Lamport clock: greater than the clock of every event this one causally follows. */
  readonly clock: number
  readonly ops: readonly Operation[]
}

/** Most operations one event may hold. */
const MAX_OPERATIONS = 10_000

/** A non-empty string of at most `maxBytes` bytes in UTF-8. */
export const isName = (v: unknown, maxBytes = 256): v is string =>
  typeof v === 'string' && v.length > 0 && (v.length * 3 <= maxBytes || utf8ToBytes(v).length <= maxBytes)
const isText = isName
const isFields = (v: unknown): v is Fields => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
const isIncarnation = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length >= 1 && v.length <= 32

/** At most 40 characters of a value a peer sent, for a message kept in a report. */
function preview (value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value
  const chars = [...text]
  return chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : text
}

/**
 * Checks the shape of a decrypted payload; anything else is InvalidEventError.
 * Every check depends on the payload alone, so every replica gives the same
 * answer for the same record.
 */
export function parseDbEvent (value: unknown): DbEvent {
  if (!isFields(value) || value.v !== DB_EVENT_VERSION || value.type !== 'db') throw new InvalidEventError(`payload is not a database event of version ${DB_EVENT_VERSION}`)
  if (!Number.isSafeInteger(value.clock) || (value.clock as number) < 1) throw new InvalidEventError('database event has no valid clock')
  if (!Array.isArray(value.ops) || value.ops.length === 0 || value.ops.length > MAX_OPERATIONS) throw new InvalidEventError('database event must hold 1 to 10,000 operations')
  const ops = value.ops.map((raw: unknown, i: number): Operation => {
    if (!isFields(raw) || !isText(raw.coll) || !isText(raw.id, 1024)) throw new InvalidEventError(`operation ${i} has no valid collection or id`)
    if (!isIncarnation(raw.inc)) throw new InvalidEventError(`operation ${i} has no valid incarnation (1 to 32 bytes)`)
    const { coll, id, inc } = raw
    switch (raw.op) {
      case 'create':
        if (!isFields(raw.fields)) throw new InvalidEventError(`operation ${i}: create needs fields`)
        return { op: 'create', coll, id, inc, fields: raw.fields }
      case 'patch':
        if (!isFields(raw.set) || !Array.isArray(raw.unset) || !raw.unset.every((f) => isText(f))) throw new InvalidEventError(`operation ${i}: patch needs set and unset`)
        return { op: 'patch', coll, id, inc, set: raw.set, unset: raw.unset as string[] }
      case 'delete':
        return { op: 'delete', coll, id, inc }
      case 'text':
        if (!isText(raw.field) || !(raw.update instanceof Uint8Array)) throw new InvalidEventError(`operation ${i}: text needs a field and an update`)
        if (!isTextUpdate(raw.update)) throw new InvalidEventError(`operation ${i}: text update is not a Yjs update`)
        return { op: 'text', coll, id, inc, field: raw.field, update: raw.update }
      default:
        throw new InvalidEventError(`operation ${i} has unknown type ${preview(raw.op)}`)
    }
  })
  return { v: DB_EVENT_VERSION, type: 'db', clock: value.clock as number, ops }
}

/**
 * This peer's own event as every other replica will read it: encoded and
 * decoded once, then parsed. Applying this one, not the event as built, keeps
 * the writer's view equal to its peers' (DAG-CBOR turns a lone surrogate into
 * U+FFFD, -0 into 0). A command whose event peers would skip is refused with
 * InvalidCommandError, so what a replica writes, every replica applies.
 */
export function ownEvent (event: DbEvent): DbEvent {
  return ownEncodedEvent(event).event
}

/**
 * `ownEvent`, with the dag-cbor bytes peers will decode it from: sealing
 * these bytes, rather than encoding the parsed event again, gives peers
 * exactly what this peer applied.
 */
export function ownEncodedEvent (event: DbEvent): { readonly event: DbEvent, readonly bytes: Uint8Array } {
  if (isOfDecodedOperations(event)) {
    // Every operation is already as peers decode it: encoding them again gives bytes that decode to
    // these very values (decoding and re-encoding DAG-CBOR is stable), so they need not be decoded again.
    const own: DbEvent = { v: DB_EVENT_VERSION, type: 'db', clock: event.clock, ops: event.ops }
    try {
      return { event: own, bytes: dagCbor.encode(own) }
    } catch (cause) {
      throw new InvalidCommandError(`the command holds a value DAG-CBOR cannot carry: ${(cause as Error).message}`, { cause })
    }
  }
  let bytes: Uint8Array
  let decoded: unknown
  try {
    bytes = dagCbor.encode(event)
    decoded = dagCbor.decode(bytes)
  } catch (cause) {
    throw new InvalidCommandError(`the command holds a value DAG-CBOR cannot carry: ${(cause as Error).message}`, { cause })
  }
  try {
    return { event: parseDbEvent(decoded), bytes }
  } catch (cause) {
    if (!(cause instanceof InvalidEventError)) throw cause
    throw new InvalidCommandError(`the command would make an event peers cannot apply: ${cause.message}`, { cause })
  }
}

/**
 * A command's operations as every replica will decode them (see ownEvent).
 * Commands check their schema, and transactions stage, on these values, so a
 * check never passes on a value the event does not carry.
 */
export function ownOperations (ops: readonly Operation[]): Operation[] {
  if (ops.length === 0) return []
  const decoded = ownEvent({ v: DB_EVENT_VERSION, type: 'db', clock: 1, ops }).ops
  for (const op of decoded) decodedOperations.add(op)
  return [...decoded]
}

/**
 * Operations `ownOperations` made: decoded from DAG-CBOR and parsed, so an
 * event of them (at a valid clock) needs only encoding (see ownEncodedEvent).
 * Weak, so an operation never written costs nothing here.
 */
const decodedOperations = new WeakSet<Operation>()

/** Whether `event` is a valid event of operations `ownOperations` made, which parsing would return as they are. */
function isOfDecodedOperations (event: DbEvent): boolean {
  return event.v === DB_EVENT_VERSION && event.type === 'db' && Number.isSafeInteger(event.clock) && event.clock >= 1 &&
    event.ops.length > 0 && event.ops.length <= MAX_OPERATIONS && event.ops.every((op) => decodedOperations.has(op))
}
