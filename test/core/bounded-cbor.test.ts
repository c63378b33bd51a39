/**
 * Decoding within item and depth limits: crafted wide and deep structures are
 * refused with a TooComplexError part way through (before the decoder reaches
 * bytes that would otherwise fail), and what honest peers send decodes as
 * before, at the size limits of the format.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { decodeBoundedDagCbor } from '../../src/core/bounded-cbor.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { decodeBlock } from '../../src/core/log/blocks.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { copyRecords } from '../helpers/copy-records.ts'
import { craftedPush, listHead, nestedLists } from '../helpers/crafted-cbor.ts'
import { decodeRequest, decodeResponse, encodeMessage, MAX_ITEMS_PER_MESSAGE } from '../../src/core/sync/messages.ts'

describe('decoding within limits', () => {
  const limits = { maxItems: 1000, maxDepth: 8 }

  it('refuses a list wider than the item limit before reading to its end', () => {
    // 300 lists of three zeros: 1,200 items; the input is cut after 260 of them, so reading to the end would fail otherwise.
    const items = new Uint8Array(260 * 4).fill(0).map((_, i) => i % 4 === 0 ? 0x83 : 0)
    const bytes = Uint8Array.from([...listHead(300), ...items])
    expect(() => decodeBoundedDagCbor(bytes, limits, 'a test list')).toThrow(expect.objectContaining({ name: 'TooComplexError', message: expect.stringMatching(/^a test list holds more than 1000 items$/) }))
  })

  it('trusts no declared length: items are counted as they come, and a list cut short is malformed as the strict decoder says', () => {
    const claims = listHead(2 ** 31)
    expect(() => decodeBoundedDagCbor(Uint8Array.from([...claims, ...new Array<number>(2000).fill(0)]), limits, 'a list')).toThrow(expect.objectContaining({ name: 'TooComplexError', message: 'a list holds more than 1000 items' }))
    expect(() => decodeBoundedDagCbor(Uint8Array.from([...claims, 0, 0]), limits, 'a list')).toThrow(expect.not.objectContaining({ name: 'TooComplexError' }))
  })

  it('refuses nesting past the depth limit, far short of the stack', () => {
    expect(() => decodeBoundedDagCbor(nestedLists(9), limits, 'nesting')).toThrow(expect.objectContaining({ name: 'TooComplexError', message: 'nesting nests deeper than 8 levels' }))
    expect(() => decodeBlock(nestedLists(200_000), 'event')).toThrow(expect.objectContaining({ name: 'TooComplexError' }))
    expect(decodeBoundedDagCbor(nestedLists(8), limits, 'nesting')).toEqual([[[[[[[[0]]]]]]]])
  })

  it('counts map keys and values, and tags, as items and levels', () => {
    const map = Object.fromEntries(Array.from({ length: 499 }, (_, i) => [`k${i}`, i]))
    expect(Object.keys(decodeBoundedDagCbor(dagCbor.encode(map), limits, 'map') as object)).toHaveLength(499)
    expect(() => decodeBoundedDagCbor(dagCbor.encode({ ...map, one: 1, two: 2 }), limits, 'map')).toThrow(expect.objectContaining({ name: 'TooComplexError' }))
  })

  it('refuses a crafted sync message by name, wide or deep, and keeps the limit out of an honest page of heads', async () => {
    expect(() => decodeRequest(craftedPush('x', Uint8Array.of(0x81, 0x00), 40_000))).toThrow(expect.objectContaining({ name: 'TooComplexError', message: expect.stringMatching(/^sync message holds more than 65536 items$/) }))
    expect(() => decodeRequest(craftedPush('x', nestedLists(1000), 1))).toThrow(expect.objectContaining({ name: 'TooComplexError', message: expect.stringContaining('nests deeper') }))

    const thread = await openDatabase({ backend: createMemoryBackend() }).createThread()
    const [genesis] = await thread.exportRecords()
    const heads = Array.from({ length: MAX_ITEMS_PER_MESSAGE }, (_, seq) => ({ log: thread.logId, seq, record: genesis!.record }))
    const page = { v: 2, type: 'heads', thread: thread.id, heads, more: true } as const
    expect(decodeResponse(encodeMessage(page))).toEqual(page)
  })

  it('decodes what honest writers make: a full batch of records and their blocks', async () => {
    const db = openDatabase({ backend: createMemoryBackend() })
    const thread = await db.createThread({ name: 'Honest' })
    for (let i = 0; i < 20; i++) await thread.collection('photos').create({ _id: `p${i}`, title: `photo ${i}`, tags: Array.from({ length: 50 }, (_, j) => `t${j}`) })
    const records = await thread.exportRecords()
    const push = decodeRequest(encodeMessage({ v: 2, type: 'push', thread: thread.id, records }))
    expect(push).toMatchObject({ type: 'push', records: records.map((r) => ({ record: r.record })) })
    const reader = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(await thread.invite({ role: 'read' }))
    await copyRecords(thread, reader)
    expect(reader.collection('photos').get('p19')).toMatchObject({ title: 'photo 19', tags: expect.arrayContaining(['t49']) })
  })
})
