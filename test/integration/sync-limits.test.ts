/**
 * Sync version 2 against a real follower process, over libp2p and over HTTP:
 * a thread of 40 photos of ~1 MB each syncs with default options both ways; a
 * stranger's follow request and records are refused by name while members
 * keep syncing; oversized requests, version 1 messages and CIDs
 * in another base are answered with named errors and change nothing; and the
 * follower process is up and healthy after each.
 */
import { randomBytes } from 'node:crypto'
import { get } from 'node:http'
import * as dagCbor from '@ipld/dag-cbor'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import type { PullProof } from '../../src/core/sync/pull-proof.ts'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { startSyncPeer, type SyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { openDatabase, type Database, type ThreadDatabase } from '../../src/core/db/index.ts'
import { epochKeyId } from '../../src/core/acl/epoch-keys.ts'
import { generateLogIdentity } from '../../src/core/ids/log-id.ts'
import { createRecord } from '../../src/core/log/create-record.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread, type SyncTransport } from '../../src/core/sync/engine.ts'
import { createFollowRequest } from '../../src/core/sync/follow-request.ts'
import type { Invite } from '../../src/core/sync/invite.ts'
import { decodeResponse, MAX_MESSAGE_BYTES, SYNC_PROTOCOL, type SyncRequest, type RecordEnvelope } from '../../src/core/sync/messages.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'

/** A dag-cbor body for fetch. */
const cbor = (value: unknown): Uint8Array<ArrayBuffer> => dagCbor.encode(value) as Uint8Array<ArrayBuffer>
/** The content type the follower takes sync requests in. */
const DAG_CBOR = { 'content-type': 'application/vnd.ipld.dag-cbor' }

const PHOTOS = 40
const PHOTO_BYTES = 1_000_000

interface Member { db: Database, thread: ThreadDatabase, transport: SyncTransport }

/** A stranger's record naming `thread`: well signed by its own log, sealed with keys of an epoch no member holds. */
async function strangersRecord (thread: string): Promise<RecordEnvelope> {
  const stranger = generateLogIdentity()
  const followKey = new Uint8Array(randomBytes(32))
  const epoch = { keyId: epochKeyId(followKey), followKey, readKey: new Uint8Array(randomBytes(32)) }
  const created = await createRecord({ thread, identity: stranger, epoch, payload: { v: 2, type: 'db', clock: 1, ops: [] }, prev: null })
  return { log: stranger.logId, record: created.record, blocks: created.blocks }
}

/** A record with its record CID and first block's CID written in `base`. */
function respelt (record: RecordEnvelope, base: 'base58btc' | 'base36'): RecordEnvelope {
  const spell = (cid: string): string => CID.parse(cid).toString(base === 'base58btc' ? base58btc : base36.encoder)
  return { ...record, record: spell(record.record), blocks: record.blocks.map((b, i) => i === 0 ? { ...b, cid: spell(b.cid) } : b) }
}

async function addPhotos (thread: ThreadDatabase, prefix: string): Promise<Uint8Array[]> {
  const images = Array.from({ length: PHOTOS }, () => new Uint8Array(randomBytes(PHOTO_BYTES)))
  for (const [i, image] of images.entries()) await thread.collection('photos').create({ _id: `${prefix}${i}`, title: `${prefix} ${i}`, image, imageType: 'image/jpeg' })
  return images
}

describe('sync limits against a real follower process', { timeout: 600_000 }, () => {
  const cleanup = cleanupAfterAll()
  let follower: FollowerProcess
  let a: Member
  let b: Member
  let c: Member
  const peers: SyncPeer[] = []
  const newPeer = async (): Promise<SyncPeer> => {
    const peer = await startSyncPeer()
    peers.push(peer)
    cleanup(async () => await peer.stop())
    return peer
  }
  /** The follower process is running and answers its health endpoint (on a new connection, as a monitor would). */
  const healthy = async (): Promise<void> => {
    expect(follower.child.exitCode, follower.output()).toBeNull()
    const health = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      get(`${follower.httpUrl}/health`, { agent: false }, (response) => {
        let body = ''
        response.on('data', (chunk: Buffer) => { body += chunk.toString() })
        response.on('end', () => { resolve({ status: response.statusCode ?? 0, body }) })
      }).on('error', (error) => { reject(new Error(`no health answer (exit code ${follower.child.exitCode}):\n${follower.output()}`, { cause: error })) })
    })
    expect(health.status).toBe(200)
    expect(JSON.parse(health.body)).toMatchObject({ ok: true })
  }
  // Heads and pulls are served to members who sign a pull proof: over HTTP it names the time, over libp2p the asking peer.
  const proofOf = async (member: Member, peer: string | number = Date.now()): Promise<PullProof | undefined> => await member.db.syncReplica().pullProof!(member.thread.id, peer)
  const headsAt = async (): Promise<unknown> => await httpSyncTransport(follower.httpUrl).request({ v: 2, type: 'heads', thread: a.thread.id, proof: await proofOf(a) })

  it('40 photos of ~1 MB sync with default options over libp2p and over HTTP, and the follower stays up', async () => {
    follower = await startFollowerProcess(await tempDir('threads-limits-', cleanup))
    cleanup(async () => await follower.stop())
    const toFollower = async (): Promise<SyncTransport> => (await newPeer()).transportTo(follower.multiaddr)

    // A writes 40 photos and pushes them over libp2p.
    const dbA = openDatabase({ backend: createMemoryBackend() })
    a = { db: dbA, thread: await dbA.createThread({ name: 'photos' }), transport: await toFollower() }
    const imagesA = await addPhotos(a.thread, 'a')
    // Invites for B and C go up with the photos (the genesis went with the follow request).
    const invites: Invite[] = [await a.thread.invite({ role: 'write' }), await a.thread.invite({ role: 'write' })]
    expect((await a.transport.request(await a.thread.followRequest())).type).toBe('following')
    expect(await syncThread({ thread: a.thread.id, replica: a.db.syncReplica(), transport: a.transport })).toMatchObject({ pushed: PHOTOS + 2, refused: [] })
    await healthy()

    // B pulls them over libp2p; C, over HTTP only, pulls them and pushes 40 of its own.
    const join = async (transport: SyncTransport, invite: Invite): Promise<Member> => {
      const db = openDatabase({ backend: createMemoryBackend() })
      return { db, thread: await db.acceptInvite(invite), transport }
    }
    b = await join(await toFollower(), invites[0]!)
    c = await join(httpSyncTransport(follower.httpUrl), invites[1]!)
    // A's genesis, two invites and 40 photos; B's join goes up.
    expect(await syncThread({ thread: b.thread.id, replica: b.db.syncReplica(), transport: b.transport })).toMatchObject({ pulled: PHOTOS + 3, pushed: 1, refused: [] })
    expect(b.thread.collection('photos').get('a39')?.image).toEqual(imagesA[39])
    await healthy()

    const imagesC = await addPhotos(c.thread, 'c')
    // C's follow request carries its join; then it pulls A's log and B's join, and pushes its photos.
    expect((await c.transport.request(await c.thread.followRequest())).type).toBe('following')
    expect(await syncThread({ thread: c.thread.id, replica: c.db.syncReplica(), transport: c.transport })).toMatchObject({ pulled: PHOTOS + 4, pushed: PHOTOS, refused: [] })
    expect(c.thread.collection('photos').get('a0')?.image).toEqual(imagesA[0])
    await healthy()

    // And B gets C's (its join and photos) over libp2p: 80 photos on every member.
    expect(await syncThread({ thread: b.thread.id, replica: b.db.syncReplica(), transport: b.transport })).toMatchObject({ pulled: PHOTOS + 1 })
    expect(b.thread.collection('photos').get('c7')?.image).toEqual(imagesC[7])
    expect(b.thread.collection('photos').find({}).length).toBe(2 * PHOTOS)
    await healthy()
  })

  it('a pull asking for every photo at once is answered within the limit, over both transports', async () => {
    const pull: SyncRequest = { v: 2, type: 'pull', thread: a.thread.id, from: [{ log: a.thread.logId, after: 0 }, { log: c.thread.logId, after: 0 }], limit: 512 }
    const answer = await fetch(`${follower.httpUrl}/v1/sync`, { method: 'POST', headers: DAG_CBOR, body: cbor({ ...pull, proof: await proofOf(a) }) })
    const bytes = new Uint8Array(await answer.arrayBuffer())
    expect(answer.status).toBe(200)
    expect(bytes.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES)
    const overHttp = decodeResponse(bytes)
    expect(overHttp).toMatchObject({ type: 'records', more: true })
    const overLibp2p = await b.transport.request({ ...pull, proof: await proofOf(b, b.transport.proofPeer!()) })
    expect(overLibp2p).toMatchObject({ type: 'records', more: true })
    for (const response of [overHttp, overLibp2p]) {
      if (response.type !== 'records') continue
      expect(response.records.length).toBeGreaterThan(0)
      expect(response.records.length).toBeLessThan(PHOTOS)
    }
    await healthy()
  })

  it("a stranger's follow request and records are refused by name and change nothing, and members keep syncing", async () => {
    const before = await headsAt()
    const strangerLog = generateLogIdentity()
    const overLibp2p = (await newPeer()).transportTo(follower.multiaddr)
    const overHttp = httpSyncTransport(follower.httpUrl)
    const follow = await createFollowRequest({ thread: a.thread.id, followKeys: [new Uint8Array(randomBytes(32))], member: strangerLog })
    expect(await overLibp2p.request(follow)).toMatchObject({ type: 'error', name: 'NotAMemberError' })
    expect(await overHttp.request(follow)).toMatchObject({ type: 'error', name: 'NotAMemberError' })
    for (const transport of [overLibp2p, overHttp]) {
      expect(await transport.request({ v: 2, type: 'push', thread: a.thread.id, records: [await strangersRecord(a.thread.id)] }))
        .toMatchObject({ type: 'pushed', stored: 0, rejected: [{ name: 'UnknownEpochError' }] })
    }
    expect(await headsAt()).toEqual(before)

    await a.thread.collection('photos').create({ _id: 'after-stranger', by: 'a' })
    expect(await syncThread({ thread: a.thread.id, replica: a.db.syncReplica(), transport: a.transport })).toMatchObject({ pushed: 1 })
    for (const member of [b, c]) {
      const result = await syncThread({ thread: member.thread.id, replica: member.db.syncReplica(), transport: member.transport })
      expect(result).toMatchObject({ pulled: 1, refused: [] })
      expect(member.thread.collection('photos').get('after-stranger')).toEqual({ _id: 'after-stranger', by: 'a' })
    }
    await healthy()
  })

  it('an oversized or cut-short request is answered with a named error and changes nothing, over both transports', async () => {
    const before = await headsAt()
    const body = new Uint8Array(MAX_MESSAGE_BYTES + 1024)
    const answer = await fetch(`${follower.httpUrl}/v1/sync`, { method: 'POST', headers: DAG_CBOR, body })
    expect(answer.status).toBe(413)
    expect(await answer.json()).toMatchObject({ name: 'TooLargeError', message: expect.stringContaining(`may take ${MAX_MESSAGE_BYTES}`) })
    await healthy()

    // Over libp2p, a length prefix over the limit is answered without the message being read.
    const peer = await newPeer()
    const stream = await peer.node.dialProtocol(multiaddr(follower.multiaddr), SYNC_PROTOCOL)
    const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
    const writing = lp.write(body).catch(() => {})
    expect(decodeResponse((await lp.read()).subarray())).toMatchObject({ type: 'error', name: 'TooLargeError' })
    await writing
    // A request cut short (a length prefix of 100 bytes, 10 bytes, then the end) is answered in words too.
    const cut = await (await newPeer()).node.dialProtocol(multiaddr(follower.multiaddr), SYNC_PROTOCOL)
    const lpCut = lpStream(cut)
    cut.send(Uint8Array.from([100, ...new Uint8Array(10)]))
    await cut.close()
    expect(decodeResponse((await lpCut.read()).subarray())).toMatchObject({ type: 'error', name: 'MalformedMessageError', message: expect.stringContaining('could not be read') })
    // An honest client never sends one: it refuses to encode it.
    const huge = Array.from({ length: 9 }, () => ({ log: a.thread.logId, record: 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', blocks: [{ cid: 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', bytes: new Uint8Array(1024 * 1024) }] }))
    await expect(c.transport.request({ v: 2, type: 'push', thread: a.thread.id, records: huge })).rejects.toMatchObject({ name: 'TooLargeError' })
    expect(await headsAt()).toEqual(before)
    await healthy()
  })

  it('a version 1 message and CIDs in another base are refused with their named errors, and nothing is stored', async () => {
    const v1 = { v: 1, type: 'heads', thread: a.thread.id } as unknown as SyncRequest
    const overHttp = await fetch(`${follower.httpUrl}/v1/sync`, { method: 'POST', headers: DAG_CBOR, body: cbor(v1) })
    expect(overHttp.status).toBe(400)
    expect(decodeResponse(new Uint8Array(await overHttp.arrayBuffer()))).toMatchObject({ type: 'error', name: 'UnsupportedVersionError', message: expect.stringContaining('version 1') })
    expect(await b.transport.request(v1)).toMatchObject({ type: 'error', name: 'UnsupportedVersionError', message: expect.stringContaining('version 1') })

    // A's next record, pushed by others with its CIDs written in base58btc (libp2p) and base36 (HTTP).
    await a.thread.collection('photos').create({ _id: 'respelt', by: 'a' })
    const next = (await a.thread.exportRecords()).at(-1)!
    const before = await headsAt()
    const mallory = (await newPeer()).transportTo(follower.multiaddr)
    expect(await mallory.request({ v: 2, type: 'push', thread: a.thread.id, records: [respelt(next, 'base58btc')] })).toMatchObject({ type: 'error', name: 'BadCidError' })
    expect(await httpSyncTransport(follower.httpUrl).request({ v: 2, type: 'push', thread: a.thread.id, records: [respelt(next, 'base36')] })).toMatchObject({ type: 'error', name: 'BadCidError' })
    expect(await headsAt()).toEqual(before)

    // The log is not wedged: the writer's own push of that record is taken, and members pull it.
    expect(await syncThread({ thread: a.thread.id, replica: a.db.syncReplica(), transport: a.transport })).toMatchObject({ pushed: 1, refused: [] })
    for (const member of [b, c]) {
      expect(await syncThread({ thread: member.thread.id, replica: member.db.syncReplica(), transport: member.transport })).toMatchObject({ pulled: 1 })
      expect(member.thread.collection('photos').get('respelt')).toEqual({ _id: 'respelt', by: 'a' })
    }
    await healthy()
  })
})
