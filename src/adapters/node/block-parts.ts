/** A block given to a blockstore's put, whole or in parts, as one Uint8Array. */
export async function wholeBlock (value: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  if (value instanceof Uint8Array) return value
  const parts: Uint8Array[] = []
  for await (const part of value) parts.push(part)
  return Buffer.concat(parts)
}
