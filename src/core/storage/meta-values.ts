/**
 * Typed values over the byte-level KeyValueStore: dag-cbor encoded, so keys,
 * CIDs and numbers round-trip exactly in every backend.
 */
import * as dagCbor from '@ipld/dag-cbor'
import type { BatchOperation, KeyValueStore, StoreCallOptions } from './interfaces.ts'

/** Reads and decodes one value, or undefined when absent. */
export async function getValue<T> (store: KeyValueStore, key: string, options?: StoreCallOptions): Promise<T | undefined> {
  const bytes = await store.get(key, options)
  return bytes === undefined ? undefined : dagCbor.decode<T>(bytes)
}

/** A batch operation that puts a dag-cbor encoded value. */
export function putValue (key: string, value: unknown): BatchOperation {
  return { type: 'put', key, value: dagCbor.encode(value) }
}

/** Decoded entries under a prefix, in key order. */
export async function * listValues<T> (store: KeyValueStore, prefix: string, options?: StoreCallOptions): AsyncGenerator<[string, T]> {
  for await (const [key, bytes] of store.list(prefix, options)) yield [key, dagCbor.decode<T>(bytes)]
}

/** The operations in order, each key's earlier writes left out: the same outcome, written once. */
export function lastWriteOfEachKey (operations: readonly BatchOperation[]): BatchOperation[] {
  const seen = new Set<string>()
  const out: BatchOperation[] = []
  for (let i = operations.length - 1; i >= 0; i--) {
    const op = operations[i]!
    if (seen.has(op.key)) continue
    seen.add(op.key)
    out.push(op)
  }
  return out.reverse()
}
