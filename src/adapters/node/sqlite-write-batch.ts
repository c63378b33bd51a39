/**
 * One write transaction of the SQLite backend, packed for its writer thread
 * (sqlite-writer.ts): every key and value in one buffer, with a layout of
 * (kind, key length, value length) triples, so a write crosses to the thread as
 * two transferred buffers rather than as hundreds of small arrays to clone (a
 * cloned view would carry its whole underlying buffer, a request body say).
 * Keys are packed already encoded as the tables store them.
 */
import type { BatchOperation, RawBlock } from '../../core/storage/interfaces.ts'
import { orderedKeyLength, writeOrderedKey } from './ordered-keys.ts'

/** What one entry of a packed write does. */
export const PUT_BLOCK = 0
export const PUT_META = 1
export const DELETE_META = 2
export const DELETE_BLOCK = 3
export type WriteKind = typeof PUT_BLOCK | typeof PUT_META | typeof DELETE_META | typeof DELETE_BLOCK

/** SQLite binds an empty byte string as NULL, so every meta key is stored behind this byte (the empty key included). */
export const META_KEY_LEAD = 0x6b

/** A write as it crosses to the writer thread: `layout` holds a (kind, key length, value length) triple per entry, in order. */
export interface PackedWrite {
  readonly bytes: Uint8Array<ArrayBuffer>
  readonly layout: Int32Array<ArrayBuffer>
}

/** One entry of a packed write: its key as stored, and its value for puts. */
export interface WriteEntry {
  readonly kind: WriteKind
  readonly key: Uint8Array
  readonly value: Uint8Array | undefined
}

/**
 * Packs blocks to put, meta operations (in order) and blocks to delete. The
 * inputs must have been checked (copyBlocks, copyBatchOperations, copyCids);
 * their bytes are copied, so later changes by the caller do not reach the write.
 */
export function packWrite (blocks: readonly RawBlock[], operations: readonly BatchOperation[], deletedBlocks: readonly string[] = []): PackedWrite {
  const count = blocks.length + operations.length + deletedBlocks.length
  const layout = new Int32Array(count * 3)
  let size = 0
  let at = 0
  const plan = (kind: WriteKind, keyLength: number, valueLength: number): void => {
    layout[at++] = kind
    layout[at++] = keyLength
    layout[at++] = valueLength
    size += keyLength + valueLength
  }
  for (const block of blocks) plan(PUT_BLOCK, orderedKeyLength(block.cid), block.bytes.length)
  for (const op of operations) plan(op.type === 'put' ? PUT_META : DELETE_META, 1 + orderedKeyLength(op.key), op.type === 'put' ? op.value.length : 0)
  for (const cid of deletedBlocks) plan(DELETE_BLOCK, orderedKeyLength(cid), 0)

  const bytes = new Uint8Array(size)
  let offset = 0
  const metaKey = (key: string): void => {
    bytes[offset] = META_KEY_LEAD
    offset = writeOrderedKey(key, bytes, offset + 1)
  }
  for (const block of blocks) {
    offset = writeOrderedKey(block.cid, bytes, offset)
    bytes.set(block.bytes, offset)
    offset += block.bytes.length
  }
  for (const op of operations) {
    metaKey(op.key)
    if (op.type === 'put') {
      bytes.set(op.value, offset)
      offset += op.value.length
    }
  }
  for (const cid of deletedBlocks) offset = writeOrderedKey(cid, bytes, offset)
  return { bytes, layout }
}

/** The entries of a packed write, in order; keys and values are views of its buffer. */
export function * unpackWrite (write: PackedWrite): Generator<WriteEntry> {
  const { bytes, layout } = write
  if (layout.length % 3 !== 0) throw new RangeError('A packed write has a layout of whole triples')
  let offset = 0
  for (let at = 0; at < layout.length; at += 3) {
    const kind = layout[at]! as WriteKind
    const keyLength = layout[at + 1]!
    const valueLength = layout[at + 2]!
    if (kind < PUT_BLOCK || kind > DELETE_BLOCK || keyLength < 0 || valueLength < 0 || offset + keyLength + valueLength > bytes.length) {
      throw new RangeError(`Entry ${at / 3} of a packed write does not fit its buffer`)
    }
    const key = bytes.subarray(offset, offset + keyLength)
    offset += keyLength
    const value = kind === PUT_BLOCK || kind === PUT_META ? bytes.subarray(offset, offset + valueLength) : undefined
    offset += valueLength
    yield { kind, key, value }
  }
}
