import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { base16 } from 'multiformats/bases/base16'
import { epochKeyId } from '../../src/core/acl/epoch-keys.ts'
import { parseThreadId } from '../../src/core/ids/thread-id.ts'
import { threadIdForGenesis } from '../../src/core/acl/genesis.ts'
import { createKeyring } from '../../src/core/log/keyring.ts'
import { openBody, openEvent, openHeader, openRecord } from '../../src/core/log/open-record.ts'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { buildProtocolVectors } from '../helpers/protocol-vectors.ts'

const fixture = JSON.parse(readFileSync(new URL('../fixtures/protocol-v3.json', import.meta.url), 'utf8'))
const bytes = (hex: string): Uint8Array => base16.baseDecode(hex)
const followKey = bytes(fixture.inputs.followKey)
const readKey = bytes(fixture.inputs.readKey)
const otherFollowKey = bytes(fixture.inputs.otherFollowKey)
/** A receiver holds the thread's epoch and one more (for the case of an envelope naming another epoch). */
const keys = createKeyring([{ keyId: epochKeyId(followKey), followKey, readKey }, { keyId: epochKeyId(otherFollowKey), followKey: otherFollowKey }])

/** A record vector as the record store takes it. */
function incoming (v: { log: string, record: string, blocks: Array<{ cid: string, bytes: string }> }) {
  return { log: v.log, keys, record: v.record, blocks: v.blocks.map((b) => ({ cid: b.cid, bytes: bytes(b.bytes) })) }
}

function heldRecord (name: string) {
  const v = fixture.records[name]
  return incoming({ log: v.log, record: v.record.id, blocks: [{ cid: v.record.id, bytes: v.record.bytes }, v.event, v.header, v.body] })
}

describe('protocol test vectors (format version 3)', () => {
  it('are reproduced exactly by this implementation', async () => {
    expect(await buildProtocolVectors()).toEqual(fixture)
  })

  it('are the ones printed in docs/PROTOCOL.md', () => {
    const doc = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8')
    const match = /<!-- vectors:begin -->\s*```json\n([\s\S]*?)```\s*<!-- vectors:end -->/.exec(doc)
    expect(match, 'PROTOCOL.md has a vectors block').not.toBeNull()
    expect(JSON.parse(match![1]!)).toEqual(fixture)
  })

  it('open from their stored bytes, layer by layer', async () => {
    for (const [name, v] of Object.entries<any>(fixture.records)) {
      const node = await openRecord({ cid: v.record.id, bytes: bytes(v.record.bytes) }, keys, { thread: fixture.thread, log: v.log })
      expect(node.event, name).toBe(v.event.cid)
      const links = openEvent({ cid: v.event.cid, bytes: bytes(v.event.bytes) })
      expect(node.kind, name).toBe(v.kind)
      expect(base16.baseEncode(node.key), name).toBe(fixture.epoch.keyId)
      const header = openHeader({ cid: links.header, bytes: bytes(v.header.bytes) }, v.kind === 'acl' ? followKey : readKey)
      expect(openBody({ cid: links.body, bytes: bytes(v.body.bytes) }, header.key)).toEqual(dagCbor.decode(bytes(v.payload)))
    }
    const a2 = await openRecord({ cid: fixture.records.a2.record.id, bytes: bytes(fixture.records.a2.record.bytes) }, keys)
    expect(a2).toMatchObject({ seq: 2, prev: fixture.records.a1.record.id, thread: fixture.thread })
    const b1 = await openRecord({ cid: fixture.records.b1.record.id, bytes: bytes(fixture.records.b1.record.bytes) }, keys)
    expect(b1.deps).toEqual([{ log: fixture.records.a1.log, record: fixture.records.a1.record.id, kind: 'reply' }])
    // The thread ID is bound to log A's genesis: sha256(dag-cbor({ owner, nonce })) is its random part.
    expect(parseThreadId(fixture.thread).variant).toBe(0x70)
    expect(threadIdForGenesis(fixture.records.a1.log, bytes(fixture.inputs.genesisNonce)).toString()).toBe(fixture.thread)
    expect(parseThreadId(fixture.threadIds.raw16).variant).toBe(0x55)
    expect(fixture.epoch.keyId).toBe(base16.baseEncode(epochKeyId(followKey)))
  })

  it('are stored in order by a receiver', async () => {
    const store = createRecordStore({ backend: createMemoryBackend() })
    const outcomes = await store.ingestMany(fixture.thread, ['a1', 'a2', 'b1'].map(heldRecord))
    expect(outcomes.map((o) => o instanceof Error ? o.name : o.status)).toEqual(['stored', 'stored', 'stored'])
  })

  for (const c of fixture.cases) {
    it(`case "${c.name}": ${c.outcomes.join(', ')}`, async () => {
      const store = createRecordStore({ backend: createMemoryBackend() })
      const thread = c.thread ?? fixture.thread
      if (c.held.length > 0) {
        const held = await store.ingestMany(fixture.thread, c.held.map(heldRecord))
        expect(held.every((o) => !(o instanceof Error))).toBe(true)
      }
      const heads = await store.heads(thread)
      const outcomes = await store.ingestMany(thread, c.batch.map(incoming))
      expect(outcomes.map((o) => o instanceof Error ? o.name : o.status), outcomes.map((o) => o instanceof Error ? o.message : '').join(' | ')).toEqual(c.outcomes)
      if (c.outcomes.every((o: string) => o.endsWith('Error'))) expect(await store.heads(thread)).toEqual(heads)
    })
  }
})
