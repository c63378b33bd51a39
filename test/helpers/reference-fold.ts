/**
 * The reference semantics of the database, written as plainly as possible:
 * decrypt every record, sort all operations by the total order, and fold them
 * one by one. The real views (incremental, order-independent) must equal this.
 */
import { applyUpdate, Doc as YDoc } from 'yjs'
import { parseDbEvent, type Operation } from '../../src/core/db/events.ts'
import { compareVersions, type Version } from '../../src/core/db/version.ts'
import type { LogGrant, RecordEnvelope } from '../../src/core/db/index.ts'
import { openBody, openEvent, openHeader, openRecord } from '../../src/core/log/open-record.ts'

/** Folds all records in total order into `{ collection: docs sorted by _id }`. */
export async function referenceFold (records: readonly RecordEnvelope[], grants: readonly LogGrant[]): Promise<Record<string, Array<Record<string, unknown>>>> {
  const keyOf = new Map(grants.map((g) => [g.log, g]))
  const ops: Array<{ ver: Version, op: Operation }> = []
  for (const { log, record, blocks } of records) {
    const keys = keyOf.get(log)!
    const node = await openRecord(blocks[0]!, keys.followKey, { log })
    const links = openEvent(blocks[1]!)
    const header = openHeader({ cid: links.header, bytes: blocks[2]!.bytes }, keys.readKey)
    const event = parseDbEvent(openBody({ cid: links.body, bytes: blocks[3]!.bytes }, header.key))
    event.ops.forEach((op, i) => ops.push({ ver: [event.clock, log, node.seq, i], op }))
    void record
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
  for (const [key, doc] of docs) {
    if (doc === undefined) continue
    const [coll, id] = key.split('\u0000') as [string, string]
    const visible: Record<string, unknown> = { _id: id, ...doc }
    for (const [field, ydoc] of texts.get(key) ?? []) visible[field] = ydoc.getText('text').toString()
    ;(out[coll] ??= []).push(visible)
  }
  for (const list of Object.values(out)) list.sort((a, b) => (a._id as string) < (b._id as string) ? -1 : 1)
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a < b ? -1 : 1))
}
