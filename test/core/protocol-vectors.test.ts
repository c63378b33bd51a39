import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { base16 } from 'multiformats/bases/base16'
import { parseThreadId } from '../../src/core/ids/thread-id.ts'
import { openBody, openEvent, openHeader, openRecord } from '../../src/core/log/open-record.ts'
import { buildProtocolVectors } from '../helpers/protocol-vectors.ts'

const fixture = JSON.parse(readFileSync(new URL('../fixtures/protocol-v1.json', import.meta.url), 'utf8'))
const bytes = (hex: string): Uint8Array => base16.baseDecode(hex)

describe('protocol test vectors (format version 1)', () => {
  it('are reproduced exactly by this implementation', async () => {
    expect(await buildProtocolVectors()).toEqual(fixture)
  })

  it('are the ones printed in docs/PROTOCOL.md', () => {
    const doc = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8')
    const match = /<!-- vectors:begin -->\s*```json\n([\s\S]*?)```\s*<!-- vectors:end -->/.exec(doc)
    expect(match, 'PROTOCOL.md has a vectors block').not.toBeNull()
    expect(JSON.parse(match![1]!)).toEqual(fixture)
  })

  it('still open from their stored bytes, layer by layer', async () => {
    const followKey = bytes(fixture.inputs.followKey)
    const readKey = bytes(fixture.inputs.readKey)
    for (const [name, v] of Object.entries<any>(fixture.records)) {
      const node = await openRecord({ cid: v.record.cid, bytes: bytes(v.record.bytes) }, followKey, v.log)
      expect(node.event, name).toBe(v.event.cid)
      const links = openEvent({ cid: v.event.cid, bytes: bytes(v.event.bytes) })
      const header = openHeader({ cid: links.header, bytes: bytes(v.header.bytes) }, readKey)
      expect(openBody({ cid: links.body, bytes: bytes(v.body.bytes) }, header.key)).toEqual(dagCbor.decode(bytes(v.payload)))
    }
    const a2 = await openRecord({ cid: fixture.records.a2.record.cid, bytes: bytes(fixture.records.a2.record.bytes) }, followKey)
    expect(a2).toMatchObject({ seq: 2, prev: fixture.records.a1.record.cid })
    const b1 = await openRecord({ cid: fixture.records.b1.record.cid, bytes: bytes(fixture.records.b1.record.bytes) }, followKey)
    expect(b1.deps).toEqual([{ log: fixture.records.a1.log, record: fixture.records.a1.record.cid, kind: 'reply' }])
    expect(parseThreadId(fixture.threadIds.raw32).random).toEqual(bytes(fixture.inputs.threadRandom))
    expect(parseThreadId(fixture.threadIds.accessControlled16).variant).toBe(0x70)
  })
})
