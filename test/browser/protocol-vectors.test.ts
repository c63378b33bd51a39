/**
 * The protocol's signature vectors and record cases in real Chromium: its
 * WebCrypto (BoringSSL) must give the answers the vectors state, as Node's
 * (OpenSSL) and @noble/curves do, and a browser receiver must answer each
 * record case of format 3 exactly as the Node one does.
 */
import { hexToBytes } from '@noble/curves/utils.js'
import { describe, expect, it } from 'vitest'
import { verifySignature, verifySignatureUsing } from '../../src/core/crypto/ed25519.ts'
import { epochKeyId } from '../../src/core/acl/epoch-keys.ts'
import { createKeyring } from '../../src/core/log/keyring.ts'
import { createRecordStore } from '../../src/core/log/record-store.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import ids from '../fixtures/protocol-v2-ids.json'
import records from '../fixtures/protocol-v3.json'

const followKey = hexToBytes(records.inputs.followKey)
const otherFollowKey = hexToBytes(records.inputs.otherFollowKey)
const keys = createKeyring([{ keyId: epochKeyId(followKey), followKey }, { keyId: epochKeyId(otherFollowKey), followKey: otherFollowKey }])
const incoming = (v: { log: string, record: string, blocks: Array<{ cid: string, bytes: string }> }) =>
  ({ log: v.log, keys, record: v.record, blocks: v.blocks.map((b) => ({ cid: b.cid, bytes: hexToBytes(b.bytes) })) })
const held = (name: 'a1' | 'a2' | 'b1') => {
  const v = records.records[name]
  return incoming({ log: v.log, record: v.record.id, blocks: [{ cid: v.record.id, bytes: v.record.bytes }, v.event, v.header, v.body] })
}

describe('protocol vectors in Chromium', () => {
  it('gives every signature vector its stated answer through WebCrypto, @noble/curves and verifySignature', async () => {
    for (const vector of ids.signatures) {
      const [publicKey, sig, message] = [hexToBytes(vector.publicKey), hexToBytes(vector.sig), hexToBytes(vector.message)]
      expect(await verifySignatureUsing('webcrypto', publicKey, sig, message), vector.description).toBe(vector.valid)
      expect(await verifySignatureUsing('noble', publicKey, sig, message), vector.description).toBe(vector.valid)
      expect(await verifySignature(publicKey, sig, message), vector.description).toBe(vector.valid)
    }
  })

  it('answers every record case as the vectors state', async () => {
    for (const c of records.cases) {
      const store = createRecordStore({ backend: createMemoryBackend() })
      if (c.held.length > 0) await store.ingestMany(records.thread, c.held.map((name) => held(name as 'a1' | 'a2' | 'b1')))
      const outcomes = await store.ingestMany((c as { thread?: string }).thread ?? records.thread, c.batch.map(incoming))
      expect(outcomes.map((o) => o instanceof Error ? o.name : o.status), c.name).toEqual(c.outcomes)
    }
  })
})
