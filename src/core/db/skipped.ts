/**
 * What a replica holds but keeps out of its views, and why. Three kinds:
 * - a record whose payload is not a database event this replica can apply
 *   (it does not open with the read key held, or is not a valid event). The
 *   log layer accepted it, so it is stored, relayed and advances its log's
 *   head like any other; its row here is written in the same atomic batch as
 *   the record and is derived state, rewritten by a rebuild;
 * - a document whose merged state breaks its collection's schema. This one is
 *   not stored: it follows from the stored view and the schema the app
 *   declares, so it is the same after a restart or a rebuild;
 * - a create that lost to a later concurrent create of the same document ID
 *   (doc-state.ts), and was never deleted: like a kept-out document it follows
 *   from the stored view.
 * Both depend only on the records held (and the schema), never on the order
 * they arrived in, so replicas holding the same records report the same.
 */
import type { BatchOperation, KeyValueStore } from '../storage/interfaces.ts'
import { listValues, putValue } from '../storage/meta-values.ts'
import { liveIncarnation, type DocState } from './doc-state.ts'
import type { SchemaValidationError } from './errors.ts'
import type { Version } from './version.ts'
import type { ThreadView } from './view.ts'

/** A stored record whose payload is left out of the views. */
export interface SkippedRecord {
  readonly kind: 'record'
  /** The record's CID, its log and its position in the log. */
  readonly record: string
  readonly log: string
  readonly seq: number
  /** The error name saying why: MissingKeyError, DecryptError, MalformedRecordError or InvalidEventError. */
  readonly reason: string
  readonly message: string
}

/** A document kept out of its collection's view because its merged state breaks the schema. */
export interface HiddenDocument {
  readonly kind: 'document'
  readonly collection: string
  readonly id: string
  /** The record of the write blamed (see `blamedVersion`), its log and position. */
  readonly record: string
  readonly log: string
  readonly seq: number
  readonly reason: 'SchemaValidationError'
  readonly message: string
  /** Every failing field (a JSON pointer) and what is wrong with it. */
  readonly problems: ReadonlyArray<{ readonly field: string, readonly message: string }>
}

/** A create that lost to a later concurrent create of the same ID: neither its fields nor any write to it show. */
export interface LostCreateReport {
  readonly kind: 'create'
  readonly collection: string
  readonly id: string
  /** The record of the lost create, its log and position. */
  readonly record: string
  readonly log: string
  readonly seq: number
  readonly reason: 'DocumentExistsError'
  readonly message: string
}

/** One entry of a thread's skip report. */
export type Skipped = SkippedRecord | HiddenDocument | LostCreateReport

const prefix = (thread: string): string => `skipped/${thread}/`
const rowKey = (thread: string, log: string, seq: number): string => `${prefix(thread)}${log}/${String(seq).padStart(16, '0')}`

/** The report of a record skipped for `error`. */
export function skippedRecord (record: string, log: string, seq: number, error: Error): SkippedRecord {
  return { kind: 'record', record, log, seq, reason: error.name, message: error.message }
}

/** The storage write that keeps a skipped record's report. */
export function skippedRecordRow (thread: string, entry: SkippedRecord): BatchOperation {
  return putValue(rowKey(thread, entry.log, entry.seq), entry)
}

/** Every stored skipped-record report of a thread, by log, then position. */
export async function listSkippedRecords (meta: KeyValueStore, thread: string): Promise<SkippedRecord[]> {
  const out: SkippedRecord[] = []
  for await (const [, entry] of listValues<SkippedRecord>(meta, prefix(thread))) out.push(entry)
  return out
}

/**
 * The writes that replace the reports of records a rebuild re-read (those
 * after `after[log]` in each log) with `fresh`; reports of earlier records stay.
 */
export async function replaceSkippedRecords (meta: KeyValueStore, thread: string, after: Readonly<Record<string, number>>, fresh: readonly SkippedRecord[]): Promise<BatchOperation[]> {
  const operations: BatchOperation[] = []
  for (const entry of await listSkippedRecords(meta, thread)) {
    if (entry.seq > (after[entry.log] ?? 0)) operations.push({ type: 'delete', key: rowKey(thread, entry.log, entry.seq) })
  }
  return [...operations, ...fresh.map((entry) => skippedRecordRow(thread, entry))]
}

/** What the view itself leaves out, each with the version of the write it names. */
export type ViewReport =
  | { readonly kind: 'document', readonly collection: string, readonly id: string, readonly error: SchemaValidationError, readonly blamed: Version }
  | { readonly kind: 'create', readonly collection: string, readonly id: string, readonly created: Version }

/**
 * Documents the view keeps out (by collection then ID), then lost creates (by
 * collection, ID, then order).
 */
export function viewReports (view: ThreadView): ViewReport[] {
  const documents: ViewReport[] = []
  const creates: ViewReport[] = []
  for (const name of [...view.collections.keys()].sort()) {
    const collection = view.collections.get(name)!
    for (const id of [...collection.hidden.keys()].sort()) {
      const error = collection.hidden.get(id)!
      documents.push({ kind: 'document', collection: name, id, error, blamed: blamedVersion(collection.states.get(id)!, error.field) })
    }
    for (const id of [...collection.lost.keys()].sort()) {
      for (const { created } of collection.lost.get(id)!) creates.push({ kind: 'create', collection: name, id, created })
    }
  }
  return [...documents, ...creates]
}

/**
 * The write blamed for a document breaking its schema: the latest write of the
 * first failing field in the document's current incarnation, when that field
 * was written in it; otherwise the incarnation's latest write of any kind. A
 * function of the merged state alone.
 */
export function blamedVersion (state: DocState, pointer: string): Version {
  const name = pointer.split('/')[1]?.replaceAll('~1', '/').replaceAll('~0', '~')
  // Only a shown or kept-out document, which has a live incarnation with at least its create, is blamed.
  const { inc } = liveIncarnation(state)!
  const entry = name === undefined ? undefined : inc.fields[name]
  return entry?.ver ?? inc.latest ?? inc.created!
}
