/**
 * The reference semantics of the database, written as plainly as possible:
 * decrypt every record, leave out those whose payload is not a database event,
 * sort all operations by the total order, fold them one by one, then keep out
 * the documents that break their collection's schema. The real views
 * (incremental, order-independent) must equal this.
 */
import { applyUpdate, Doc as YDoc } from 'yjs'
import { parseDbEvent, type DbEvent, type Operation } from '../../src/core/db/events.ts'
import { compileSchema, type JsonSchema } from '../../src/core/db/schema.ts'
import { compareVersions, type Version } from '../../src/core/db/version.ts'
import type { LogGrant, RecordEnvelope } from '../../src/core/db/index.ts'
import { openBody, openEvent, openHeader, openRecord } from '../../src/core/log/open-record.ts'

/** What the reference fold shows and leaves out. */
export interface ReferenceView {
  /** `{ collection: docs sorted by _id }`. */
  readonly view: Record<string, Array<Record<string, unknown>>>
  /** CIDs of the records whose payload is not a database event, sorted. */
  readonly skippedRecords: string[]
  /** `collection/id` of every document kept out for breaking its schema, sorted. */
  readonly hidden: string[]
}

/** Folds all records in total order; `schemas` are the collections' schemas. */
export async function referenceFold (records: readonly RecordEnvelope[], grants: readonly LogGrant[], schemas: Readonly<Record<string, JsonSchema>> = {}): Promise<ReferenceView> {
  const keyOf = new Map(grants.map((g) => [g.log, g]))
  const ops: Array<{ ver: Version, op: Operation }> = []
  const skippedRecords: string[] = []
  for (const { log, record, blocks } of records) {
    const keys = keyOf.get(log)!
    const node = await openRecord(blocks[0]!, keys.followKey, { log })
    const links = openEvent(blocks[1]!)
    const header = openHeader({ cid: links.header, bytes: blocks[2]!.bytes }, keys.readKey)
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

  const docs = new Map<string, Record<string, unknown> | undefined>()
  const texts = new Map<string, Map<string, YDoc>>()
  for (const { op } of ops) {
    const key = `${op.coll}\u0000${op.id}`
    if (op.op === 'create') docs.set(key, { ...op.fields })
    else if (op.op === 'delete') docs.set(key, undefined)
    else {
      const doc = docs.get(key) ?? {}
      docs.set(key, doc)
      if (op.op === 'patch') {
        Object.assign(doc, op.set)
        for (const name of op.unset) delete doc[name]
      } else {
        const fields = texts.get(key) ?? new Map<string, YDoc>()
        texts.set(key, fields)
        const ydoc = fields.get(op.field) ?? new YDoc()
        fields.set(op.field, ydoc)
        applyUpdate(ydoc, op.update)
      }
    }
  }
  const out: Record<string, Array<Record<string, unknown>>> = {}
  const hidden: string[] = []
  for (const [key, doc] of docs) {
    if (doc === undefined) continue
    const [coll, id] = key.split('\u0000') as [string, string]
    const visible: Record<string, unknown> = { _id: id, ...doc }
    for (const [field, ydoc] of texts.get(key) ?? []) visible[field] = ydoc.getText('text').toString()
    const schema = schemas[coll]
    if (schema !== undefined && compileSchema(schema)(visible) !== undefined) hidden.push(`${coll}/${id}`)
    else (out[coll] ??= []).push(visible)
  }
  for (const list of Object.values(out)) list.sort((a, b) => (a._id as string) < (b._id as string) ? -1 : 1)
  return { view: Object.fromEntries(Object.entries(out).sort(([a], [b]) => a < b ? -1 : 1)), skippedRecords: skippedRecords.sort(), hidden: hidden.sort() }
}
