/**
 * The reference semantics of the database, written as plainly as possible:
 * decrypt every record, leave out those whose payload is not a database event,
 * sort all operations by the total order, fold them one by one, then keep out
 * the documents that break their collection's schema. In the fold each
 * operation writes to the incarnation it names; a create makes the one it
 * names current; a delete ends the one it names for good. The real views
 * (incremental, order-independent) must equal this.
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import { applyUpdate, Doc as YDoc } from 'yjs'
import { parseDbEvent, type DbEvent, type Operation } from '../../src/core/db/events.ts'
import { compileSchema, type JsonSchema } from '../../src/core/db/schema.ts'
import { compareVersions, type Version } from '../../src/core/db/version.ts'
import type { RecordEnvelope } from '../../src/core/db/index.ts'
import type { EpochKeyring } from '../../src/core/log/keyring.ts'
import { openBody, openEvent, openHeader, openRecord } from '../../src/core/log/open-record.ts'

/** What the reference fold shows and leaves out. */
export interface ReferenceView {
  /** `{ collection: docs sorted by _id }`. */
  readonly view: Record<string, Array<Record<string, unknown>>>
  /** CIDs of the records whose payload is not a database event, sorted. */
  readonly skippedRecords: string[]
  /** `collection/id` of every document kept out for breaking its schema, sorted. */
  readonly hidden: string[]
  /** `collection/id/log/seq` of every create that lost to a later concurrent create and was never deleted, sorted. */
  readonly lost: string[]
}

interface ReferenceIncarnation {
  created: boolean
  createdAt?: Version
  deleted: boolean
  fields: Record<string, unknown>
  texts: Map<string, YDoc>
}

/** Folds all records in total order; `schemas` are the collections' schemas. */
export async function referenceFold (records: readonly RecordEnvelope[], keys: EpochKeyring, schemas: Readonly<Record<string, JsonSchema>> = {}): Promise<ReferenceView> {
  const ops: Array<{ ver: Version, op: Operation }> = []
  const skippedRecords: string[] = []
  for (const { log, record, blocks } of records) {
    const node = await openRecord(blocks[0]!, keys, { log })
    // ACL events are not database events: the views never see them, and they are not skipped either.
    if (node.kind === 'acl') continue
    const links = openEvent(blocks[1]!)
    const header = openHeader({ cid: links.header, bytes: blocks[2]!.bytes }, keys.readKey(node.key)!)
    let event: DbEvent
    try {
      event = parseDbEvent(openBody({ cid: links.body, bytes: blocks[3]!.bytes }, header.key))
    } catch {
      skippedRecords.push(record)
      continue
    }
    event.ops.forEach((op, i) => ops.push({ ver: [event.clock, log, node.seq, i], op }))
  }
  ops.sort((a, b) => compareVersions(a.ver, b.ver))

  const docs = new Map<string, { current?: string, incs: Map<string, ReferenceIncarnation> }>()
  for (const { ver, op } of ops) {
    const key = `${op.coll}\u0000${op.id}`
    const doc = docs.get(key) ?? { incs: new Map<string, ReferenceIncarnation>() }
    docs.set(key, doc)
    const name = bytesToHex(op.inc)
    const inc = doc.incs.get(name) ?? { created: false, deleted: false, fields: {}, texts: new Map<string, YDoc>() }
    doc.incs.set(name, inc)
    if (op.op === 'create') {
      inc.created = true
      inc.createdAt = ver
      doc.current = name
    }
    if (op.op === 'delete') {
      inc.deleted = true
      inc.fields = {}
      inc.texts = new Map()
    }
    if (inc.deleted) continue
    if (op.op === 'create' || op.op === 'patch') {
      for (const [field, value] of Object.entries(op.op === 'create' ? op.fields : op.set)) if (field !== '_id') inc.fields[field] = value
      if (op.op === 'patch') for (const field of op.unset) delete inc.fields[field]
    } else if (op.op === 'text') {
      const ydoc = inc.texts.get(op.field) ?? new YDoc()
      inc.texts.set(op.field, ydoc)
      applyUpdate(ydoc, op.update)
    }
  }
  const out: Record<string, Array<Record<string, unknown>>> = {}
  const hidden: string[] = []
  const lost: string[] = []
  for (const [key, doc] of docs) {
    const [coll, id] = key.split('\u0000') as [string, string]
    for (const [name, inc] of doc.incs) if (inc.created && !inc.deleted && name !== doc.current) lost.push(`${coll}/${id}/${inc.createdAt![1]}/${inc.createdAt![2]}`)
    const live = doc.current === undefined ? undefined : doc.incs.get(doc.current)!
    if (live === undefined || live.deleted) continue
    const visible: Record<string, unknown> = { _id: id, ...live.fields }
    for (const [field, ydoc] of live.texts) if (field !== '_id') visible[field] = ydoc.getText('text').toString()
    const schema = schemas[coll]
    if (schema !== undefined && compileSchema(schema)(visible) !== undefined) hidden.push(`${coll}/${id}`)
    else (out[coll] ??= []).push(visible)
  }
  for (const list of Object.values(out)) list.sort((a, b) => (a._id as string) < (b._id as string) ? -1 : 1)
  return { view: Object.fromEntries(Object.entries(out).sort(([a], [b]) => a < b ? -1 : 1)), skippedRecords: skippedRecords.sort(), hidden: hidden.sort(), lost: lost.sort() }
}
