/**
 * Where records sit in the record store's index, and the stateful checks that
 * place a received record there: not held already, prev and dependencies
 * held, and no other record at its position of its log.
 *
 * Each log is held as a contiguous chain from seq 1 to its head (the record
 * store's guarantee), and a record's CID fixes its log and seq. So a record
 * that names its log's head as prev, at the next seq, is new and well placed
 * with no lookup beyond the head: that is how a pull receives nearly every
 * record, and it costs no storage read per record. Anything else takes the
 * full path, reading what it names, with the same errors as ever.
 */
import { BadSequenceError, EquivocationError, MalformedRecordError, MissingDependencyError } from '../errors.ts'
import type { RecordNode } from './record-format.ts'

/** A log's newest record. */
export interface LogHead {
  readonly log: string
  readonly record: string
  readonly seq: number
}

/** A held record's place in its log. */
export interface Position {
  readonly log: string
  readonly seq: number
  /** Event, header and body CIDs, so serving a record needs no decryption. */
  readonly links?: readonly [string, string, string]
}

/** Index key of a held record's position. */
export const recKey = (thread: string, cid: string): string => `rec/${thread}/${cid}`
/** Index key of the record at a position of a log. */
export const seqKey = (thread: string, log: string, seq: number): string => `seq/${thread}/${log}/${String(seq).padStart(16, '0')}`
/** Index key of a held ACL record (kind "acl"), so a thread's ACL events are found without reading every record. */
export const aclKey = (thread: string, cid: string): string => `acl/${thread}/${cid}`
/** Index key of a log's head. */
export const headKey = (thread: string, log: string): string => `head/${thread}/${log}`

/** Reads an index value: staged by the batch in progress, or stored. */
export type IndexReader = <T>(key: string) => Promise<T | undefined>

/**
 * Whether a received record is new ('new') or held already ('duplicate');
 * throws MissingDependencyError, BadSequenceError, MalformedRecordError or
 * EquivocationError when it cannot be placed.
 */
export async function placeRecord (thread: string, record: string, node: RecordNode, read: IndexReader): Promise<'new' | 'duplicate'> {
  const head = await read<LogHead>(headKey(thread, node.log))
  const followsHead = head === undefined
    ? node.seq === 1 && node.prev === null
    : node.seq === head.seq + 1 && node.prev === head.record
  if (!followsHead) {
    if (await read<Position>(recKey(thread, record)) !== undefined) return 'duplicate'
  }
  const missing: Array<{ log: string, record: string }> = []
  if (!followsHead) {
    if (node.prev === null) {
      if (node.seq !== 1) throw new BadSequenceError(`record ${record} has no prev but seq ${node.seq}; the first record of a log has seq 1`)
    } else {
      const prev = await read<Position>(recKey(thread, node.prev))
      if (prev === undefined) missing.push({ log: node.log, record: node.prev })
      else if (prev.log !== node.log) throw new MalformedRecordError(`record ${record} links prev ${node.prev} of another log`)
      else if (prev.seq !== node.seq - 1) throw new BadSequenceError(`record ${record} has seq ${node.seq} after a prev with seq ${prev.seq}`)
    }
  }
  for (const dep of node.deps) {
    const held = await read<Position>(recKey(thread, dep.record))
    if (held === undefined) missing.push({ log: dep.log, record: dep.record })
    else if (held.log !== dep.log) throw new MalformedRecordError(`record ${record} says dependency ${dep.record} is of log ${dep.log}, but it is of ${held.log}`)
  }
  if (missing.length > 0) {
    throw new MissingDependencyError(`record ${record} needs ${missing.length} record(s) not held yet: ${missing.map((m) => m.record).join(', ')}`, missing)
  }
  if (!followsHead) {
    const other = await read<string>(seqKey(thread, node.log, node.seq))
    if (other !== undefined) {
      throw new EquivocationError(`log ${node.log} signed two records at seq ${node.seq}: ${other} and ${record}`, node.log, node.seq, [other, record])
    }
  }
  return 'new'
}
