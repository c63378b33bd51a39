/**
 * Byte keys that sort like the strings they stand for.
 *
 * The storage interfaces promise `list` in UTF-16 code-unit order (the order of
 * JavaScript's `<` and of IndexedDB), while byte-ordered stores such as LMDB sort
 * UTF-8 in code-point order: the two disagree once a key holds characters beyond
 * U+FFFF (stored as surrogates 0xD800–0xDFFF, below 0xE000–0xFFFF in code units).
 * So each code unit is written on its own, in the UTF-8 bit layout of a BMP
 * character (1 to 3 bytes, as CESU-8 does). That layout keeps numeric order and
 * is prefix-free, hence:
 * - `a < b` as strings exactly when encode(a) < encode(b) as bytes;
 * - `key.startsWith(prefix)` exactly when encode(key) starts with encode(prefix);
 * - every string round-trips, lone surrogates included; ASCII costs one byte a unit.
 */

/** The bytes standing for `key`, in an order that matches string order. */
export function encodeOrderedKey (key: string): Uint8Array {
  const bytes = new Uint8Array(key.length * 3)
  return bytes.subarray(0, writeOrderedKey(key, bytes, 0))
}

/** How many bytes `encodeOrderedKey(key)` is. */
export function orderedKeyLength (key: string): number {
  let length = 0
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i)
    length += unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3
  }
  return length
}

/**
 * Writes `encodeOrderedKey(key)` into `target` at `start`; returns where it
 * ends. Throws RangeError, writing nothing, when it does not fit.
 */
export function writeOrderedKey (key: string, target: Uint8Array, start: number): number {
  if (start + key.length * 3 > target.length && start + orderedKeyLength(key) > target.length) throw new RangeError('The key does not fit in the buffer')
  let at = start
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i)
    if (unit < 0x80) {
      target[at++] = unit
    } else if (unit < 0x800) {
      target[at++] = 0xc0 | (unit >> 6)
      target[at++] = 0x80 | (unit & 0x3f)
    } else {
      target[at++] = 0xe0 | (unit >> 12)
      target[at++] = 0x80 | ((unit >> 6) & 0x3f)
      target[at++] = 0x80 | (unit & 0x3f)
    }
  }
  return at
}

/**
 * The string that `encodeOrderedKey` turned into `bytes`.
 * @throws TypeError for bytes that encodeOrderedKey cannot have written.
 */
export function decodeOrderedKey (bytes: Uint8Array): string {
  const units: number[] = []
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i]!
    const width = lead < 0x80 ? 1 : (lead & 0xe0) === 0xc0 ? 2 : (lead & 0xf0) === 0xe0 ? 3 : 0
    if (width === 0 || i + width > bytes.length) throw new TypeError(`Stored key has a malformed byte at ${i}`)
    let unit = width === 1 ? lead : lead & (width === 2 ? 0x1f : 0x0f)
    for (let k = 1; k < width; k++) {
      const next = bytes[i + k]!
      if ((next & 0xc0) !== 0x80) throw new TypeError(`Stored key has a malformed byte at ${i + k}`)
      unit = (unit << 6) | (next & 0x3f)
    }
    units.push(unit)
    i += width
  }
  // Chunked, so a long key cannot overflow the argument limit of fromCharCode.
  let key = ''
  for (let i = 0; i < units.length; i += 4096) key += String.fromCharCode(...units.slice(i, i + 4096))
  return key
}
