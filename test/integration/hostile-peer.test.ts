/**
 * A hostile peer pushing bad records to a follower over libp2p: tampered,
 * forged, oversized and out-of-order records are refused with typed errors,
 * nothing of them is stored, and the peer is disconnected for the first three.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSyncPeer, type SyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import { createRecord, sealRecordNode } from '../../src/core/log/create-record.ts'
import { signedPart } from '../../src/core/log/record-format.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import type { SyncResponse, RecordEnvelope } from '../../src/core/sync/messages.ts'
import { readConfig } from '../../follower/config.ts'
import { startFollower, type Follower } from '../../follower/follower.ts'

describe('a hostile peer', { timeout: 120_000 }, () => {
  let dir: string
  let follower: Follower
  let thread: ThreadDatabase
  let good: RecordEnvelope[]
  let epoch: { keyId: Uint8Array, followKey: Uint8Array, readKey: Uint8Array }
  let mallory: SyncPeer

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'threads-hostile-'))
    follower = await startFollower(readConfig(['--port', '0', '--http-port', '0', '--data', dir], {}))
    const db = openDatabase({ backend: createMemoryBackend() })
    thread = await db.createThread()
    const photos = thread.collection('photos')
    for (let i = 0; i < 3; i++) await photos.create({ _id: `p${i}`, n: i })
    // The photos (the genesis travels with the follow request); the thread's epoch keys, from an invite.
    good = (await thread.exportRecords()).slice(1)
    const [held] = (await thread.invite({ role: 'read' })).epochs
    epoch = { keyId: held!.keyId, followKey: held!.followKey, readKey: held!.readKey! }
    mallory = await startSyncPeer()
    const honest = await startSyncPeer()
    expect((await honest.transportTo(follower.multiaddrs[0]!).request(await thread.followRequest())).type).toBe('following')
    await honest.transportTo(follower.multiaddrs[0]!).request({ v: 2, type: 'push', thread: thread.id, records: [good[0]!] })
    await honest.stop()
  })
  afterAll(async () => {
    await observer?.stop()
    await mallory.stop()
    await follower.stop()
    await rm(dir, { recursive: true, force: true })
  })

  let observer: SyncPeer | undefined
  const heads = async (): Promise<SyncResponse> => {
    observer ??= await startSyncPeer()
    return await observer.transportTo(follower.multiaddrs[0]!).request({ v: 2, type: 'heads', thread: thread.id })
  }
  const push = async (records: RecordEnvelope[]): Promise<SyncResponse> =>
    await mallory.transportTo(follower.multiaddrs[0]!).request({ v: 2, type: 'push', thread: thread.id, records })
  const connected = (): boolean => mallory.node.getConnections(follower.node.peerId).length > 0

  it('out of order: refused as missing its prev, not treated as abuse', async () => {
    const before = await heads()
    expect(await push([good[2]!])).toMatchObject({ type: 'pushed', stored: 0, rejected: [{ name: 'MissingDependencyError' }] })
    expect(await heads()).toEqual(before)
    expect(connected()).toBe(true)
  })

  it('tampered: a changed byte is a BadCidError, nothing is stored, the peer is disconnected', async () => {
    const before = await heads()
    const r = good[1]!
    const body = r.blocks[3]!
    const tampered = { ...r, blocks: [...r.blocks.slice(0, 3), { cid: body.cid, bytes: Uint8Array.from(body.bytes, (x, i) => i === 20 ? x ^ 0xff : x) }] }
    expect(await push([tampered])).toMatchObject({ rejected: [{ name: 'BadCidError' }] })
    expect(await heads()).toEqual(before)
    await expect.poll(connected).toBe(false)
  })

  it('forged: a record of the log signed by another key is a BadSignatureError', async () => {
    const before = await heads()
    const genuine = await createRecord({ thread: thread.id, identity: generateLogIdentity(), epoch, payload: { evil: true }, prev: { record: good[0]!.record, seq: 2 } })
    const signed = signedPart({ ...genuine.node, log: thread.logId })
    const sig = await generateLogIdentity().signer.sign(dagCbor.encode(signed))
    const forged = sealRecordNode({ ...signed, sig }, epoch).block
    expect(await push([{ log: thread.logId, record: forged.cid, blocks: [forged, ...genuine.blocks.slice(1)] }])).toMatchObject({ rejected: [{ name: 'BadSignatureError' }] })
    expect(await heads()).toEqual(before)
  })

  it('oversized: a block over its limit is a TooLargeError, and a message over 8 MiB is not even read', async () => {
    const before = await heads()
    const r = good[1]!
    const huge = { ...r, blocks: [...r.blocks.slice(0, 3), { cid: r.blocks[3]!.cid, bytes: new Uint8Array(1024 * 1024 + 1000) }] }
    expect(await push([huge])).toMatchObject({ rejected: [{ name: 'TooLargeError' }] })
    const flood = Array.from({ length: 9 }, () => huge)
    await expect(push(flood)).rejects.toThrow()
    expect(await heads()).toEqual(before)
  })
})
