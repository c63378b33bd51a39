/**
 * The one written form of each identifier a sync message carries. A record
 * stored or compared under a second spelling of its CID (base58btc, base36,
 * upper case, CIDv0) would be a second record to every check that compares
 * texts, so a message naming anything in another form is refused whole,
 * before any of it is stored or compared (docs/PROTOCOL.md, "Sync"):
 *
 * - CIDs: CIDv1, dag-cbor, sha2-256 with a 32-byte digest, in base32 exactly as
 *   multiformats prints it (`bafyrei…`); anything else is BadCidError.
 * - Thread IDs and log IDs: their canonical spellings, as parseThreadId and
 *   parseLogId require (MalformedThreadIdError, MalformedLogIdError).
 */
import * as dagCbor from '@ipld/dag-cbor'
import { bases } from 'multiformats/basics'
import { base32 } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import { BadCidError, MalformedMessageError } from '../errors.ts'
import { canonicalCidBytes } from '../log/blocks.ts'
import { parseLogId } from '../ids/log-id.ts'
import { parseThreadId } from '../ids/thread-id.ts'

/** Longest CID text read at all (a canonical one is 59 characters). */
const MAX_CID_TEXT_LENGTH = 256
const SHA2_256 = 0x12

const short = (text: string): string => text.length > 80 ? `${text.slice(0, 77)}...` : text
const baseNamed = (text: string): string => Object.values(bases).find((b) => text.startsWith(b.prefix))?.name ?? `no known base ("${text.slice(0, 1)}")`

/**
 * `value` if it is a CID in its canonical text form; otherwise BadCidError
 * (MalformedMessageError if not a text at all). `what` names it in the error,
 * and is only built if there is one.
 */
export function wireCid (value: unknown, what: string | (() => string)): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CID_TEXT_LENGTH) {
    throw new MalformedMessageError(`${named(what)} must be a CID text of 1 to ${MAX_CID_TEXT_LENGTH} characters`)
  }
  // Every record names five CIDs, so this runs for each one received: decoded once, nothing printed.
  if (canonicalCidBytes(value) !== undefined) return value
  throw whyNotCanonical(value, named(what))
}

const named = (what: string | (() => string)): string => typeof what === 'string' ? what : what()

/** The error saying how `cid` differs from the canonical form. */
function whyNotCanonical (cid: string, what: string): BadCidError {
  if (!cid.startsWith(base32.prefix)) {
    return new BadCidError(`${what} "${short(cid)}" is written in ${baseNamed(cid)}; CIDs are exchanged in base32 only`, cid)
  }
  let parsed: CID
  try {
    parsed = CID.decode(base32.decode(cid))
  } catch (cause) {
    return new BadCidError(`${what} "${short(cid)}" is not a CID in lower-case base32`, cid, { cause })
  }
  if (parsed.version !== 1 || parsed.code !== dagCbor.code || parsed.multihash.code !== SHA2_256 || parsed.multihash.size !== 32) {
    return new BadCidError(`${what} "${short(cid)}" is not a CIDv1 of dag-cbor with a sha2-256 digest`, cid)
  }
  return new BadCidError(`${what} "${short(cid)}" is not written as multiformats prints it ("${parsed.toString()}")`, cid)
}

/** `value` if it is a thread ID in its canonical text form; otherwise MalformedThreadIdError. */
export function wireThreadId (value: unknown): string {
  parseThreadId(value as string)
  return value as string
}

/** `value` if it is a log ID in its canonical text form; otherwise MalformedLogIdError. */
export function wireLogId (value: unknown): string {
  parseLogId(value)
  return value as string
}
