/**
 * How many bytes a sync message will take, so that batches are cut before
 * they would pass MAX_MESSAGE_BYTES instead of being refused after. Sizes come
 * from cborg's own length calculation (the encoder under dag-cbor), exact for
 * what sync messages hold: texts, integers, booleans, bytes, lists and maps.
 */
import { encodedLength } from 'cborg/length'
import { MAX_MESSAGE_BYTES, type SyncRequest, type SyncResponse } from './messages.ts'

// dag-cbor's encoder options that bear on length (floats are always 64-bit); map sorting does not.
const DAG_CBOR_LENGTH_OPTIONS = { float64: true }

/** Bytes of `value` encoded as dag-cbor (values without CID links). */
export function encodedSize (value: unknown): number {
  return encodedLength(value, DAG_CBOR_LENGTH_OPTIONS)
}

/** A list's CBOR head takes 1 byte when empty and at most 9 once it holds items. */
const LIST_HEAD_GROWTH = 8

/**
 * Bytes left under MAX_MESSAGE_BYTES for the items of the one list `envelope`
 * carries, given here empty: a message whose items' `encodedSize` add up to at
 * most this many bytes encodes within the limit.
 */
export function roomFor (envelope: SyncRequest | SyncResponse): number {
  return MAX_MESSAGE_BYTES - encodedSize(envelope) - LIST_HEAD_GROWTH
}

/** How many of `items`, from the first, fit together in `room` bytes and `maxCount` items. */
export function countWithin (items: readonly unknown[], room: number, maxCount: number): number {
  let used = 0
  let count = 0
  for (const item of items) {
    if (count >= maxCount) break
    used += encodedSize(item)
    if (used > room) break
    count++
  }
  return count
}
