/** Hand-made CBOR for tests of decoding limits: lengths and nesting a well-behaved encoder would not produce. */
import * as dagCbor from '@ipld/dag-cbor'
import { MAX_MESSAGE_BYTES } from '../../src/core/sync/messages.ts'

/** A CBOR list head of `length` items, in its shortest form as strict dag-cbor requires (major type 4). */
export function listHead (length: number): number[] {
  if (length < 24) return [0x80 + length]
  if (length < 0x100) return [0x98, length]
  if (length < 0x10000) return [0x99, length >>> 8, length & 0xff]
  return [0x9a, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff]
}

/** `depth` lists each holding the next, around a 0. */
export const nestedLists = (depth: number): Uint8Array => Uint8Array.from([...new Array<number>(depth).fill(0x81), 0x00])

/**
 * A push request for `thread` whose records list declares `declared` items and
 * holds `count` copies of `item` (encoded CBOR); by default as many as fit in
 * a sync message, all declared.
 */
export function craftedPush (thread: string, item: Uint8Array, count?: number, declared?: number): Uint8Array<ArrayBuffer> {
  // 'records' is the longest key, so dag-cbor puts it last: its empty list is the frame's last byte.
  const frame = dagCbor.encode({ v: 2, type: 'push', thread, records: [] })
  const n = count ?? Math.floor((MAX_MESSAGE_BYTES - frame.length - 8) / item.length)
  const head = listHead(declared ?? n)
  const out = new Uint8Array(frame.length - 1 + head.length + n * item.length)
  out.set(frame.subarray(0, -1))
  out.set(head, frame.length - 1)
  for (let i = 0, at = frame.length - 1 + head.length; i < n; i++, at += item.length) out.set(item, at)
  return out
}
