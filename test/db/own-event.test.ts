/**
 * This peer's own events: the operations a command was checked on are the
 * ones written, and an event of them is written as the same bytes, and read
 * as the same values, as an event of the operations as built.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DB_EVENT_VERSION, ownEncodedEvent, ownOperations, parseDbEvent, type Operation } from '../../src/core/db/events.ts'
import * as dagCbor from '@ipld/dag-cbor'

const inc = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])
const textUpdate = (): Uint8Array => {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, 'hello')
  return Y.encodeStateAsUpdate(doc)
}
const built: Operation[] = [
  { op: 'delete', coll: 'photos', id: 'p', inc: new Uint8Array([9]) },
  { op: 'create', coll: 'photos', id: 'p', inc, fields: { title: 'a\ud800b', likes: -0, ratio: 1.5, meta: { zz: 1, b: 2, aaa: 3 }, tags: ['x', null, true] } },
  { op: 'patch', coll: 'photos', id: 'p', inc, set: { big: 2 ** 53 + 2 }, unset: ['ratio'] },
  { op: 'text', coll: 'photos', id: 'p', inc, field: 'caption', update: textUpdate() }
]

describe('an event of the operations a command was checked on', () => {
  it('is the bytes and the values an event of the operations as built gives', () => {
    const event = { v: DB_EVENT_VERSION, type: 'db' as const, clock: 42, ops: built }
    const full = ownEncodedEvent(event)
    const checked = ownEncodedEvent({ ...event, ops: ownOperations(built) })
    expect(checked.bytes).toEqual(full.bytes)
    expect(checked.event).toEqual(full.event)
    expect(parseDbEvent(dagCbor.decode(checked.bytes))).toEqual(checked.event)
    expect(checked.event.ops[1]).toMatchObject({ fields: { title: 'a\ufffdb' } })
  })

  it('is refused as the full path refuses it: no operations, too many, or a clock peers reject', () => {
    const ops = ownOperations(built)
    for (const event of [
      { v: DB_EVENT_VERSION, type: 'db' as const, clock: 1, ops: [] },
      { v: DB_EVENT_VERSION, type: 'db' as const, clock: 0, ops },
      { v: DB_EVENT_VERSION, type: 'db' as const, clock: 2 ** 53, ops },
      { v: DB_EVENT_VERSION, type: 'db' as const, clock: 1, ops: Array.from({ length: 10_001 }, () => ops[0]!) }
    ]) {
      expect(() => ownEncodedEvent(event)).toThrow(expect.objectContaining({ name: 'InvalidCommandError' }) as Error)
    }
  })
})
