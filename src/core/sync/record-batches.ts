/**
 * Cuts records into sync messages by bytes as well as by count, on both sides:
 * the server filling a pull response and the pusher filling a push. Records
 * are read from storage a few at a time, as many as the room left suggests
 * (judged by the largest record seen so far), so a log of 1 MB photos is not
 * read 512 at once only to send 8 of them.
 */
import { TooLargeError } from '../errors.ts'
import { encodedSize } from './message-size.ts'
import type { RecordEnvelope } from './messages.ts'
import type { SyncReplica } from './replica.ts'

/** Records read before anything is known of their size. */
const FIRST_READ = 8

/** What `readRecordsWithin` found. */
export interface RecordsWithin {
  readonly records: RecordEnvelope[]
  /** Their encoded size, as `encodedSize` counts it. */
  readonly bytes: number
  /** Why it stopped: the log has nothing after the last record, `maxCount` was reached, or the next record did not fit. */
  readonly stop: 'end' | 'count' | 'room'
  /** When the next record did not fit: that record and its size. */
  readonly overflow?: { readonly record: RecordEnvelope, readonly size: number }
}

/**
 * Records of `log` after `after`, oldest first, as many as fit together in
 * `room` bytes and `maxCount` records.
 */
export async function readRecordsWithin (input: {
  readonly replica: SyncReplica
  readonly thread: string
  readonly log: string
  readonly after: number
  readonly maxCount: number
  readonly room: number
}): Promise<RecordsWithin> {
  const { replica, thread, log, maxCount, room } = input
  const records: RecordEnvelope[] = []
  let bytes = 0
  let largest = 0
  while (records.length < maxCount) {
    const guess = largest === 0 ? FIRST_READ : Math.floor((room - bytes) / largest) + 1
    const ask = Math.max(1, Math.min(maxCount - records.length, guess))
    const read = await replica.recordsAfter(thread, log, input.after + records.length, ask)
    for (const record of read) {
      const size = encodedSize(record)
      largest = Math.max(largest, size)
      if (bytes + size > room) return { records, bytes, stop: 'room', overflow: { record, size } }
      records.push(record)
      bytes += size
    }
    if (read.length < ask) return { records, bytes, stop: 'end' }
  }
  return { records, bytes, stop: 'count' }
}

/**
 * Splits records held in memory into batches of at most `maxCount` records
 * and `room` bytes each. A record too large for a message on its own (which
 * the record size limits rule out) is a TooLargeError.
 */
export function batchesWithin (records: readonly RecordEnvelope[], room: number, maxCount: number): RecordEnvelope[][] {
  const batches: RecordEnvelope[][] = []
  let batch: RecordEnvelope[] = []
  let bytes = 0
  for (const record of records) {
    const size = encodedSize(record)
    if (size > room) throw tooLarge(record, size, room)
    if (batch.length >= maxCount || bytes + size > room) {
      batches.push(batch)
      batch = []
      bytes = 0
    }
    batch.push(record)
    bytes += size
  }
  if (batch.length > 0) batches.push(batch)
  return batches
}

/** The error for a record that does not fit in a message even alone. */
export function tooLarge (record: RecordEnvelope, size: number, room: number): TooLargeError {
  return new TooLargeError(`record ${record.record} of log ${record.log} takes ${size} bytes; a sync message has room for ${room}`)
}
