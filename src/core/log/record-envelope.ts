/**
 * A record as it travels and is handed between layers: its log, its ID and
 * its blocks (the record block, the event block, the header and the body).
 * The one shape for sync messages, ingest, export and the follower.
 */
import type { RawBlock } from '../storage/interfaces.ts'

/** A record and its blocks, as exchanged between replicas. */
export interface RecordEnvelope {
  readonly log: string
  /** The record ID (canonical base32 CID of its signed node). */
  readonly record: string
  readonly blocks: readonly RawBlock[]
}
