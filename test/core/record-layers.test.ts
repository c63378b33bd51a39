import { describe, expect, it } from 'vitest'
import { generateSymmetricKey } from '../../src/core/crypto/aead.ts'
import { deterministicRandom } from '../../src/core/crypto/random.ts'
import { generateLogIdentity, publicKeyFromLogId } from '../../src/core/ids/log-id.ts'
import { createThreadId } from '../../src/core/ids/thread-id.ts'
import { epochKeyId } from '../../src/core/acl/epoch-keys.ts'
import { createRecord } from '../../src/core/log/create-record.ts'
import { createKeyring } from '../../src/core/log/keyring.ts'
import { openBody, openEvent, openHeader, openRecord } from '../../src/core/log/open-record.ts'

describe('record layers', () => {
  const random = deterministicRandom('layers')
  const identity = generateLogIdentity(random)
  const followKey = generateSymmetricKey(random)
  const readKey = generateSymmetricKey(random)
  const epoch = { keyId: epochKeyId(followKey), followKey, readKey }
  const keys = createKeyring([epoch])
  const payload = { title: 'Beach at dawn', marker: 'PLAINTEXT-MARKER-7f3a' }
  const thread = createThreadId({ random }).toString()

  it('gives a log ID that is an Ed25519 libp2p peer ID holding the public key', () => {
    expect(identity.logId).toMatch(/^12D3KooW/)
    expect(publicKeyFromLogId(identity.logId)).toEqual(identity.publicKey)
  })

  it('opens each layer with exactly its own key', async () => {
    const created = await createRecord({ thread, identity, epoch, payload, prev: null, time: 1234, random })
    const [recordBlock, eventBlock, headerBlock, bodyBlock] = created.blocks

    // Follow key only: node, signature and links, nothing more.
    const node = await openRecord(recordBlock, keys, { thread, log: identity.logId })
    expect(node).toMatchObject({ thread, log: identity.logId, seq: 1, key: epoch.keyId, kind: 'data', prev: null, event: eventBlock.cid })
    const links = openEvent(eventBlock)
    expect(links).toEqual({ header: headerBlock.cid, body: bodyBlock.cid })
    expect(() => openHeader(headerBlock, followKey)).toThrow(expect.objectContaining({ name: 'DecryptError' }))
    expect(() => openBody(bodyBlock, followKey)).toThrow(expect.objectContaining({ name: 'DecryptError' }))

    // Read key: the header with time and content key, but not the body.
    const header = openHeader(headerBlock, readKey)
    expect(header.time).toBe(1234)
    expect(header.key).toEqual(created.contentKey)
    expect(() => openBody(bodyBlock, readKey)).toThrow(expect.objectContaining({ name: 'DecryptError' }))

    // Content key: the body.
    expect(openBody(bodyBlock, header.key)).toEqual(payload)
  })

  it('shows no plaintext in any block', async () => {
    const created = await createRecord({ thread, identity, epoch, payload, prev: null, random })
    const marker = new TextEncoder().encode(payload.marker)
    for (const block of created.blocks) {
      expect(Buffer.from(block.bytes).indexOf(Buffer.from(marker))).toBe(-1)
    }
  })

  it('refuses the record under a wrong follow key, under an epoch not held, and as a record of another log or thread', async () => {
    const created = await createRecord({ thread, identity, epoch, payload, prev: null, random })
    // A key ID that is held but a key that does not open the node: DecryptError.
    await expect(openRecord(created.blocks[0], { followKey: () => generateSymmetricKey(random) })).rejects.toMatchObject({ name: 'DecryptError' })
    // An epoch whose keys are not held: the record cannot be read yet, which is not malformed.
    const otherKey = generateSymmetricKey(random)
    await expect(openRecord(created.blocks[0], createKeyring([{ keyId: epochKeyId(otherKey), followKey: otherKey }]))).rejects.toMatchObject({ name: 'UnknownEpochError' })
    const other = generateLogIdentity(random)
    await expect(openRecord(created.blocks[0], keys, { log: other.logId })).rejects.toMatchObject({ name: 'MalformedRecordError' })
    await expect(openRecord(created.blocks[0], keys, { thread: createThreadId({ random }).toString() })).rejects.toMatchObject({ name: 'MalformedRecordError' })
  })

  it('seals an ACL event\'s header with the follow key, so a follower reads ACL events and never data', async () => {
    const created = await createRecord({ thread, identity, epoch, kind: 'acl', payload: { v: 3, changes: [{ type: 'leave' }] }, prev: null, random })
    const [recordBlock, eventBlock, headerBlock, bodyBlock] = created.blocks
    expect((await openRecord(recordBlock, keys)).kind).toBe('acl')
    expect(openEvent(eventBlock)).toEqual({ header: headerBlock.cid, body: bodyBlock.cid })
    expect(() => openHeader(headerBlock, readKey)).toThrow(expect.objectContaining({ name: 'DecryptError' }))
    expect(openBody(bodyBlock, openHeader(headerBlock, followKey).key)).toEqual({ v: 3, changes: [{ type: 'leave' }] })
  })

  it('refuses oversized payloads with TooLargeError', async () => {
    await expect(createRecord({ thread, identity, epoch, payload: new Uint8Array(1024 * 1024 + 1), prev: null, random }))
      .rejects.toMatchObject({ name: 'TooLargeError' })
  })
})
