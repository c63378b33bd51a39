/**
 * Media blocks on a real follower process: it keeps (fetching them over
 * bitswap from the writer, or taking them pushed over HTTP) exactly the blocks
 * its threads' records attach, cannot open them (the plaintext marker is
 * nowhere on its disk), refuses a stranger's block, frees a photo's blocks
 * once its removal syncs, and serves what it keeps to a plain Helia node that
 * runs no Threads code.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import * as dagCbor from '@ipld/dag-cbor'
import { identify } from '@libp2p/identify'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryBlockstore } from 'blockstore-core'
import { createHeliaLight } from 'helia'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createBlockNode, type BlockNode } from '../../src/adapters/libp2p/block-node.ts'
import { startSyncPeer, type SyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { openSqliteBlockstore, type SqliteBlockstore } from '../../src/adapters/node/sqlite-blockstore.ts'
import { openDatabase, type Database, type ThreadDatabase } from '../../src/core/db/index.ts'
import { encryptMedia, mediaRefValue, type MediaBlock, type MediaRef } from '../../src/core/media/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { filesUnder } from '../helpers/files-under.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'

const MARKER = 'MEDIA-PLAINTEXT-MARKER-5d1c'
const FILE_BYTES = 3 * 1024 * 1024 + 12345

/** A file of `size` bytes with the marker written every 256 KiB. */
function fileWithMarker (size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + seed) & 0xff
  const marker = new TextEncoder().encode(MARKER)
  for (let at = 0; at + marker.length < size; at += 256 * 1024) bytes.set(marker, at)
  return bytes
}


interface MediaStatus { kept: number, complete: number, refused: Array<{ root: string, error: string }> }

describe('a follower keeps media blocks', { timeout: 240_000 }, () => {
  let dataDir: string
  let follower: FollowerProcess
  let db: Database
  let thread: ThreadDatabase
  let peer: SyncPeer
  let alice: BlockNode
  let aliceStore: MemoryBlockstore
  /** The follower's blockstore, opened beside it (SQLite in WAL mode allows several processes). */
  let onDisk: SqliteBlockstore
  const photo: { ref?: MediaRef, blocks: MediaBlock[] } = { blocks: [] }
  const cleanup: Array<() => Promise<unknown>> = []
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
  })

  const status = async (): Promise<MediaStatus> => ((await (await fetch(`${follower.httpUrl}/health`)).json()) as { media: MediaStatus }).media
  const sync = async (): Promise<void> => {
    await syncThread({ thread: thread.id, replica: db.syncReplica(), transport: peer.transportTo(follower.multiaddr) })
  }
  const encrypt = async (bytes: Uint8Array, into: { put: (b: MediaBlock) => Promise<unknown> }): Promise<{ ref: MediaRef, blocks: MediaBlock[] }> => {
    const blocks: MediaBlock[] = []
    const ref = await encryptMedia([bytes], { size: bytes.length, type: 'image/png', put: async (block) => { blocks.push(block); await into.put(block) } })
    return { ref, blocks }
  }

  it('fetches the blocks a photo\'s record attaches from the writer over bitswap, and cannot open them', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'threads-media-'))
    follower = await startFollowerProcess(dataDir)
    cleanup.push(async () => await follower.stop())
    db = openDatabase({ backend: createMemoryBackend() })
    thread = await db.createThread({ name: 'album' })
    peer = await startSyncPeer()
    cleanup.push(async () => await peer.stop())
    aliceStore = new MemoryBlockstore()
    alice = await createBlockNode({ libp2p: peer.node, blockstore: aliceStore })
    cleanup.push(async () => await alice.stop())
    expect((await peer.transportTo(follower.multiaddr).request(await thread.followRequest())).type).toBe('following')

    const encrypted = await encrypt(fileWithMarker(FILE_BYTES, 1), { put: async (b) => await aliceStore.put(b.cid, b.bytes) })
    Object.assign(photo, encrypted)
    await thread.collection('photos').create({ _id: 'p1', title: 'Beach', original: mediaRefValue(encrypted.ref) })
    await sync()

    await vi.waitFor(async () => { expect((await status()).complete === 1, 'the follower to hold the photo\'s blocks').toBe(true) }, { timeout: 120_000, interval: 200 })
    expect((await status()).refused).toEqual([])
    onDisk = await openSqliteBlockstore({ directory: join(dataDir, 'blocks') })
    cleanup.push(async () => await onDisk.close())
    for (const block of photo.blocks) expect(onDisk.has(block.cid), block.cid.toString()).toBe(true)

    const files = await filesUnder(dataDir)
    expect(files.some((f) => f.endsWith('blocks.sqlite'))).toBe(true)
    for (const file of files) expect((await readFile(file)).includes(Buffer.from(MARKER)), `${file} holds plaintext`).toBe(false)
  })

  it('serves them to a plain Helia node (bitswap over libp2p, no Threads code), which pins the file by its manifest', async () => {
    const helia = withBitswap(withLibp2pLight(createHeliaLight({ codecs: [dagCbor] }), {
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: { denyDialMultiaddr: () => false },
      services: { identify: identify() }
    }))
    await helia.start()
    cleanup.push(async () => await helia.stop())
    await helia.libp2p.dial(multiaddr(follower.multiaddr))
    // Recursive pin: the manifest is dag-cbor linking every chunk, so any IPFS node can keep a file whole.
    for await (const _cid of helia.pins.add(photo.ref!.root, { signal: AbortSignal.timeout(120_000) })) { /* each block pinned */ }
    for (const block of photo.blocks) {
      const parts: Uint8Array[] = []
      for await (const part of helia.blockstore.get(block.cid, { offline: true })) parts.push(part)
      expect(Buffer.concat(parts).equals(Buffer.from(block.bytes)), block.cid.toString()).toBe(true)
    }
  })

  it('refuses a stranger\'s block push with UnreferencedBlockError, and takes the pushed blocks of an attached file', async () => {
    const put = async (cid: CID, bytes: Uint8Array): Promise<Response> => await fetch(`${follower.httpUrl}/v1/blocks/${cid.toString()}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.raw' }, body: Buffer.from(bytes) })
    const stranger = await encrypt(fileWithMarker(40_000, 9), { put: async () => {} })
    const refused = await put(stranger.blocks[0]!.cid, stranger.blocks[0]!.bytes)
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ name: 'UnreferencedBlockError' })
    expect(onDisk.has(stranger.blocks[0]!.cid)).toBe(false)

    // A second photo whose blocks its writer does not serve over bitswap: the writer pushes them instead.
    const second = await encrypt(fileWithMarker(1024 * 1024 + 7, 2), { put: async () => {} })
    await thread.collection('photos').create({ _id: 'p2', title: 'Dunes', original: mediaRefValue(second.ref) })
    await sync()
    await vi.waitFor(async () => { expect((await status()).kept === 2, 'the follower to keep the second file').toBe(true) }, { timeout: 60_000, interval: 200 })
    // The manifest first (it names the chunks); bytes that do not hash to a chunk's CID are refused by name.
    expect((await put(second.ref.root, second.blocks.at(-1)!.bytes)).status).toBe(204)
    const forged = await put(second.blocks[0]!.cid, stranger.blocks[0]!.bytes)
    expect(forged.status).toBe(400)
    expect(await forged.json()).toMatchObject({ name: 'BadCidError' })
    for (const block of second.blocks.slice(0, -1)) expect((await put(block.cid, block.bytes)).status).toBe(204)
    await vi.waitFor(async () => { expect((await status()).complete === 2, 'the pushed file to be complete').toBe(true) }, { timeout: 60_000, interval: 200 })
    for (const block of second.blocks) expect(onDisk.has(block.cid)).toBe(true)
  })

  it('frees a photo\'s blocks once its removal syncs, keeping the other photo\'s', async () => {
    await thread.collection('photos').delete('p1')
    await sync()
    await vi.waitFor(async () => { expect((await status()).kept === 1, 'the follower to let the removed photo go').toBe(true) }, { timeout: 60_000, interval: 200 })
    await vi.waitFor(async () => { expect(photo.blocks.every((b) => !onDisk.has(b.cid)), 'the removed photo\'s blocks to be deleted').toBe(true) }, { timeout: 60_000, interval: 200 })
    expect((await status()).complete).toBe(1)
  })

  it('keeps what it kept across a restart', async () => {
    expect(await follower.stop()).toBe(0)
    follower = await startFollowerProcess(dataDir)
    await vi.waitFor(async () => { expect(await status(), 'the restarted follower\'s media').toMatchObject({ kept: 1, complete: 1 }) }, { timeout: 60_000, interval: 200 })
  })

  it('refuses a file whose manifest gives a chunk the wrong length, and deletes what it fetched of it', async () => {
    const chunkBytes = new Uint8Array(2000).fill(3)
    const chunk = CID.createV1(0x55, await sha256.digest(chunkBytes))
    const manifestBytes = dagCbor.encode({ v: 1, size: 100, chunkSize: 16384, chunks: [chunk] })
    const root = CID.createV1(dagCbor.code, await sha256.digest(manifestBytes))
    await aliceStore.put(chunk, chunkBytes)
    await aliceStore.put(root, manifestBytes)
    await thread.collection('photos').create({ _id: 'p3', title: 'Forged', original: { v: 1, root, key: new Uint8Array(32), size: 100, type: 'image/png' } })
    await sync()
    await vi.waitFor(async () => { expect((await status()).refused.map((r) => r.root), 'the forged file to be refused').toContain(root.toString()) }, { timeout: 60_000, interval: 200 })
    expect((await status()).refused.find((r) => r.root === root.toString())?.error).toMatch(/^MalformedMediaError/)
    await vi.waitFor(() => { expect(onDisk.has(root) || onDisk.has(chunk), 'the forged file\'s blocks to be deleted').toBe(false) }, { timeout: 60_000, interval: 200 })
    expect(await status()).toMatchObject({ kept: 1, complete: 1 })
  })
})

describe('a follower caps the media bytes a thread keeps', { timeout: 240_000 }, () => {
  it('refuses a file that would take the thread past its byte limit with StorageQuotaError, and holds none of it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'threads-media-quota-'))
    const follower = await startFollowerProcess(dataDir, { flags: ['--max-bytes-per-thread', String(512 * 1024)] })
    const peer = await startSyncPeer()
    const store = new MemoryBlockstore()
    const blocks = await createBlockNode({ libp2p: peer.node, blockstore: store })
    try {
      const db = openDatabase({ backend: createMemoryBackend() })
      const thread = await db.createThread({ name: 'album' })
      expect((await peer.transportTo(follower.multiaddr).request(await thread.followRequest())).type).toBe('following')
      const size = 1024 * 1024
      const ref = await encryptMedia([new Uint8Array(size)], { size, type: 'image/png', put: async (b) => { await store.put(b.cid, b.bytes) } })
      await thread.collection('photos').create({ _id: 'big', original: mediaRefValue(ref) })
      await syncThread({ thread: thread.id, replica: db.syncReplica(), transport: peer.transportTo(follower.multiaddr) })
      const media = async (): Promise<MediaStatus> => ((await (await fetch(`${follower.httpUrl}/health`)).json()) as { media: MediaStatus }).media
      await vi.waitFor(async () => { expect((await media()).refused.map((r) => r.error).join(), 'the file to be refused').toMatch(/^StorageQuotaError/) }, { timeout: 60_000, interval: 200 })
      expect((await media()).complete).toBe(0)
      await follower.stop()
      const onDisk = await openSqliteBlockstore({ directory: join(dataDir, 'blocks') })
      expect(onDisk.has(ref.root)).toBe(false)
      await onDisk.close()
    } finally {
      await follower.stop()
      await blocks.stop()
      await peer.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
