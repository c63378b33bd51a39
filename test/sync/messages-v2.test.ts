/**
 * Sync messages, version 2: a message of another version is refused with an
 * error naming that version; a CID, thread ID or log ID in any spelling but
 * the canonical one is refused before anything is stored or compared; the
 * sizes batches are cut by are the sizes messages encode to.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { peerIdFromString } from '@libp2p/peer-id'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { openDatabase, type Database, type ThreadDatabase } from '../../src/core/db/index.ts'
import { canonicalThreadId, createThreadId, parseThreadId } from '../../src/core/ids/thread-id.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { encodedSize, roomFor } from '../../src/core/sync/message-size.ts'
import { decodeRequest, decodeResponse, encodeMessage, MAX_MESSAGE_BYTES, SYNC_PROTOCOL, type SyncRequest, type RecordEnvelope } from '../../src/core/sync/messages.ts'
import { answerRequest } from '../../src/core/sync/serve.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'

/** A thread with `count` small records, followed by a follower that holds the first `held` of them. */
async function threadWithFollower (count: number, held: number): Promise<{ db: Database, thread: ThreadDatabase, records: RecordEnvelope[], f: ReturnType<typeof memoryFollower> }> {
  const db = openDatabase({ backend: createMemoryBackend() })
  const thread = await db.createThread()
  for (let i = 0; i < count; i++) await thread.collection('photos').create({ _id: `p${i}`, title: `photo ${i}` })
  // The follower takes the genesis with the follow request; the records are the photos.
  const records = (await thread.exportRecords()).slice(1)
  const f = memoryFollower()
  expect((await f.transport.request(await thread.followRequest())).type).toBe('following')
  if (held > 0) expect(await f.transport.request({ v: 2, type: 'push', thread: thread.id, records: records.slice(0, held) })).toMatchObject({ stored: held })
  return { db, thread, records, f }
}

const someThread = createThreadId().toString()

/** `cid` in another base, all in upper case, or with its base32 digits in mixed case (which multiformats' decoder takes, as multibase allows). */
const respell = (cid: string, base: 'base58btc' | 'base36' | 'upper' | 'mixed'): string =>
  base === 'upper' ? cid.toUpperCase() : base === 'mixed' ? `${cid.slice(0, 10)}${cid.slice(10, 20).toUpperCase()}${cid.slice(20)}` : CID.parse(cid).toString(base === 'base58btc' ? base58btc : base36.encoder)

describe('sync messages, version 2', () => {
  it('names the libp2p protocol and the version every message carries', () => {
    expect(SYNC_PROTOCOL).toBe('/threads/sync/2.0.0')
    expect(dagCbor.decode(encodeMessage({ v: 2, type: 'heads', thread: someThread }))).toMatchObject({ v: 2 })
  })

  it('refuses a version 1 message, request or response, with an error naming the version', async () => {
    const v1 = dagCbor.encode({ v: 1, type: 'heads', thread: someThread })
    expect(() => decodeRequest(v1)).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError', message: expect.stringContaining('version 1') }))
    expect(() => decodeResponse(dagCbor.encode({ v: 1, type: 'error', name: 'X', message: 'y' }))).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError' }))
    // A server answers it in words, and does not take an old peer for an abusive one.
    const { f } = await threadWithFollower(1, 1)
    const answer = await answerRequest(f.handler, v1)
    expect(decodeResponse(answer.bytes)).toMatchObject({ type: 'error', name: 'UnsupportedVersionError', message: expect.stringContaining('version 1 is not supported') })
    expect(answer.abusive).toBe(false)
  })

  it('names any version it does not speak, a 64-bit one or a structure included, as UnsupportedVersionError', () => {
    // 2^64 − 1 decodes as a BigInt, which JSON cannot write: it had made the refusal an InternalError.
    const versions: Array<[Uint8Array, string]> = [
      [Uint8Array.from([0xa1, 0x61, 0x76, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'version 18446744073709551615'],
      [dagCbor.encode({ v: 'two', type: 'heads' }), 'version "two"'],
      [dagCbor.encode({ v: { deep: [1, 2, 3] }, type: 'heads' }), 'version of type object'],
      [dagCbor.encode({ v: null, type: 'heads' }), 'version of type null']
    ]
    for (const [bytes, named] of versions) {
      expect(() => decodeRequest(bytes)).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError', message: expect.stringContaining(named) }))
    }
  })

  it('refuses a push naming a record or block in another base or case, and stores nothing under that text', async () => {
    const { thread, records, f } = await threadWithFollower(2, 1)
    const heads = async (): Promise<unknown> => await f.transport.request({ v: 2, type: 'heads', thread: thread.id })
    const before = await heads()
    const next = records[1]!
    for (const base of ['base58btc', 'base36', 'upper', 'mixed'] as const) {
      const spelt = { ...next, record: respell(next.record, base), blocks: next.blocks.map((b, i) => i === 0 ? { ...b, cid: respell(b.cid, base) } : b) }
      expect(await f.transport.request({ v: 2, type: 'push', thread: thread.id, records: [spelt] })).toMatchObject({ type: 'error', name: 'BadCidError' })
      expect(await f.backend.blocks.has(spelt.record)).toBe(false)
      // A block CID alone in another base is refused too.
      const block = { ...next, blocks: next.blocks.map((b, i) => i === 3 ? { ...b, cid: respell(b.cid, base) } : b) }
      expect(await f.transport.request({ v: 2, type: 'push', thread: thread.id, records: [block] })).toMatchObject({ type: 'error', name: 'BadCidError' })
    }
    expect(await heads()).toEqual(before)
    expect(f.abuse()).toBe(8)
    // The record in its canonical spelling is then taken as the log's next: nothing was wedged.
    expect(await f.transport.request({ v: 2, type: 'push', thread: thread.id, records: [next] })).toMatchObject({ type: 'pushed', stored: 1, rejected: [] })
  })

  it('refuses CIDs that are base32 but not the canonical CID of a block', async () => {
    const { thread, records, f } = await threadWithFollower(1, 0)
    const raw = CID.createV1(0x55, await sha256.digest(new Uint8Array([1]))).toString()
    const v0 = CID.createV0(await sha256.digest(new Uint8Array([1]))).toString()
    const canonical = records[0]!.record
    // Same bytes, last character changed in its padding bits: decodes to the same CID, prints differently.
    const padded = canonical.slice(0, -1) + String.fromCharCode(canonical.charCodeAt(canonical.length - 1) + 1)
    for (const cid of [raw, v0, padded, `${canonical}=`, `${canonical}====`, 'bafy', 'not a cid']) {
      const response = await f.transport.request({ v: 2, type: 'push', thread: thread.id, records: [{ ...records[0]!, record: cid }] })
      expect(response, cid).toMatchObject({ type: 'error', name: 'BadCidError' })
    }
  })

  it('refuses a thread or log ID in another spelling', async () => {
    const { thread, records, f } = await threadWithFollower(1, 0)
    const thread58 = base58btc.encode(parseThreadId(thread.id).bytes)
    expect(canonicalThreadId(thread58)).toBe(thread.id) // the same thread, spelt otherwise
    expect(await f.transport.request({ v: 2, type: 'heads', thread: thread58 })).toMatchObject({ type: 'error', name: 'MalformedThreadIdError', message: expect.stringContaining(thread.id) })
    const logCid = peerIdFromString(thread.logId).toCID().toString()
    expect(await f.transport.request({ v: 2, type: 'push', thread: thread.id, records: [{ ...records[0]!, log: logCid }] })).toMatchObject({ type: 'error', name: 'MalformedLogIdError' })
    expect(await f.transport.request({ v: 2, type: 'pull', thread: thread.id, from: [{ log: logCid, after: 0 }], limit: 10 })).toMatchObject({ type: 'error', name: 'MalformedLogIdError' })
  })

  it('refuses a response naming a head in another base', () => {
    const thread = someThread
    const head = { log: '12D3KooWBtMuNKkCHWMU8K3GuwWfDyVe86CfKs7xryTYVuPxrHEU', seq: 1, record: 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' }
    expect(decodeResponse(dagCbor.encode({ v: 2, type: 'heads', thread, heads: [head], more: false }))).toMatchObject({ heads: [head] })
    expect(() => decodeResponse(dagCbor.encode({ v: 2, type: 'heads', thread, heads: [{ ...head, record: respell(head.record, 'base58btc') }], more: false })))
      .toThrow(expect.objectContaining({ name: 'BadCidError' }))
  })

  it('counts message sizes exactly as they encode, so a batch cut to the room left always fits', async () => {
    const { thread, records } = await threadWithFollower(3, 0)
    const message: SyncRequest = { v: 2, type: 'push', thread: thread.id, records }
    expect(encodedSize(message)).toBe(encodeMessage(message).length)
    const room = roomFor({ v: 2, type: 'push', thread: thread.id, records: [] })
    expect(room).toBeLessThan(MAX_MESSAGE_BYTES)
    expect(room).toBeGreaterThan(MAX_MESSAGE_BYTES - 1024)
    expect(encodeMessage(message).length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES - room + records.reduce((n, r) => n + encodedSize(r), 0))
  })

  it('a member syncing through the loopback speaks version 2 end to end', async () => {
    const { db, thread, f } = await threadWithFollower(5, 0)
    const reader = openDatabase({ backend: createMemoryBackend() })
    const joined = await reader.acceptInvite(await thread.invite({ role: 'admin' }))
    // The invite and 5 photos go up; the reader pulls them with the genesis, and pushes its join.
    expect(await syncThread({ thread: thread.id, replica: db.syncReplica(), transport: f.transport })).toMatchObject({ pushed: 6 })
    expect(await syncThread({ thread: joined.id, replica: reader.syncReplica(), transport: f.transport })).toMatchObject({ pulled: 7, pushed: 1, refused: [] })
    expect(joined.collection('photos').find({}).length).toBe(5)
    expect(f.abuse()).toBe(0)
  })
})

