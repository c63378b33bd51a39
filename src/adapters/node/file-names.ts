/**
 * Maps store keys and CIDs to file paths (relative, '/'-separated) and back.
 *
 * Guarantees:
 * - every well-formed key up to MAX_KEY_BYTES maps to exactly one path and back,
 *   on case-insensitive file systems too: names are multibase base32 of the key's
 *   UTF-8, lower case only, so 'A' and 'a' never collide;
 * - no path component exceeds 201 characters (long keys are split into directories
 *   whose names end in '_'), and no name contains '.', which temp files use;
 * - a CID is used as a file name only if it is a lower-case base32 string, so no
 *   caller-supplied string can name a path outside the blocks directory.
 */
import { base32 } from 'multiformats/bases/base32'
import { TooLargeError } from '../../core/errors.ts'

/** Directory (under the backend's root) holding one file per block. */
export const BLOCKS_DIR = 'blocks'
/** Directory (under the backend's root) holding one file per key. */
export const META_DIR = 'meta'
/** Longest key accepted, in UTF-8 bytes: keeps whole paths far below PATH_MAX (4096). */
export const MAX_KEY_BYTES = 2048

const SEGMENT = 200
const DIRECTORY_SUFFIX = '_'
const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The path of a key's file, relative to the root.
 * @throws TypeError for a key that is not well-formed UTF-16 (a lone surrogate
 *   would not survive the round trip through UTF-8); TooLargeError past MAX_KEY_BYTES.
 */
export function keyToPath (key: string): string {
  const bytes = utf8.encode(key)
  if (strictUtf8.decode(bytes) !== key) throw new TypeError('A key must be well-formed Unicode (no lone surrogates)')
  if (bytes.byteLength > MAX_KEY_BYTES) throw new TooLargeError(`A key may be at most ${MAX_KEY_BYTES} UTF-8 bytes`)
  const name = base32.encode(bytes)
  const segments: string[] = []
  for (let at = 0; at < name.length; at += SEGMENT) segments.push(name.slice(at, at + SEGMENT))
  return [META_DIR, ...segments.map((segment, i) => i < segments.length - 1 ? segment + DIRECTORY_SUFFIX : segment)].join('/')
}

/**
 * The start that the file name (its directories' names without their '_', then
 * its own) of every key beginning with `prefix` shares: the base32 characters
 * whose five bits all come from the prefix. Listing compares names against it
 * before decoding any.
 */
export function keyPrefixToNamePrefix (prefix: string): string {
  const bytes = utf8.encode(prefix)
  return base32.encode(bytes).slice(0, 1 + Math.floor(bytes.byteLength * 8 / 5))
}

/** Whether a directory holding the rest of long keys' names (see keyToPath) is named `name`. */
export function isKeyDirectory (name: string): boolean {
  return name.length === SEGMENT + 1 && name.endsWith(DIRECTORY_SUFFIX)
}

/**
 * The key a file under meta/ stands for, from its path relative to meta/ (split into
 * components), or undefined for anything that is not one of ours (temp files included).
 */
export function componentsToKey (components: readonly string[]): string | undefined {
  const last = components.at(-1)
  if (last === undefined || last.includes('.') || last.endsWith(DIRECTORY_SUFFIX)) return undefined
  const dirs = components.slice(0, -1)
  if (!dirs.every(dir => dir.length === SEGMENT + 1 && dir.endsWith(DIRECTORY_SUFFIX))) return undefined
  try {
    return strictUtf8.decode(base32.decode(dirs.map(dir => dir.slice(0, -1)).join('') + last))
  } catch {
    return undefined // not a name this backend wrote
  }
}

/**
 * The path of a block's file, relative to the root.
 * @throws TypeError unless the CID is a lower-case base32 string (CIDv1's default form).
 */
export function cidToPath (cid: string): string {
  if (!/^[a-z2-7]{1,200}$/.test(cid)) throw new TypeError(`Not a lower-case base32 CID: ${JSON.stringify(cid.slice(0, 80))}`)
  return `${BLOCKS_DIR}/${cid}`
}
