/**
 * What peers wanting a follower's media blocks over bitswap cost its memory,
 * on a real follower process with its SQLite blockstore on disk. Anyone who
 * knows a file's block CIDs (any member of its album) can want them all at
 * once and then never read the answer. The follower loads what one send to a
 * peer carries into memory and holds it until the peer takes it: that must
 * stay about a chunk per peer, however many chunks are wanted, and a bounded
 * number of peers at once, however many ask; an honest peer still gets its
 * blocks, at once when a greedy peer leaves.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryBlockstore } from 'blockstore-core'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withBaseOptions } from '../../src/adapters/libp2p/base-options.ts'
import { BLOCK_SENDS } from '../../src/adapters/libp2p/bitswap-node.ts'
import { createBlockNode, type BlockNode } from '../../src/adapters/libp2p/block-node.ts'
import { openSqliteBlockstore } from '../../src/adapters/node/sqlite-blockstore.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'

const BITSWAP = '/ipfs/bitswap/1.2.0'
/** Media chunks are 1 MiB and a little more (the cipher's tag and nonce). */
const CHUNK_BYTES = 1024 * 1024 + 40
const CHUNKS = 40

interface Chunk { readonly cid: CID, readonly bytes: Uint8Array }
interface GreedyPeer { readonly node: BlockNode, readonly answered: () => number }

describe('peers wanting many media blocks from a follower', { timeout: 180_000 }, () => {
  let dataDir: string
  let follower: FollowerProcess
  const chunks: Chunk[] = []
  const cleanup: Array<() => Promise<unknown>> = []
  const wanting = new AbortController()
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'threads-block-sends-'))
    // The follower's blockstore, filled before it starts: chunks it holds and serves to any peer.
    const store = await openSqliteBlockstore({ directory: join(dataDir, 'blocks'), durable: false })
    for (let i = 0; i < CHUNKS; i++) {
      const bytes = new Uint8Array(randomBytes(CHUNK_BYTES))
      const cid = CID.createV1(raw.code, await sha256.digest(bytes))
      await store.put(cid, bytes)
      chunks.push({ cid, bytes })
    }
    await store.close()
    follower = await startFollowerProcess(dataDir)
    cleanup.push(async () => await follower.stop())
  })
  afterAll(async () => {
    wanting.abort()
    for (const step of cleanup.reverse()) await step().catch(() => {})
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  })

  const rssMib = async (): Promise<number> => {
    const status = await readFile(`/proc/${follower.child.pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
  }
  const until = async (done: () => boolean, ms: number): Promise<void> => {
    const deadline = Date.now() + ms
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const peerNode = async (): Promise<BlockNode> => {
    const libp2p = await createLibp2p(withBaseOptions({}))
    cleanup.push(async () => { await libp2p.stop() })
    const node = await createBlockNode({ libp2p, blockstore: new MemoryBlockstore() })
    cleanup.push(async () => { await node.stop() })
    await libp2p.dial(multiaddr(follower.multiaddr))
    return node
  }
  /** A peer that wants `wants` and reads none of the streams the follower opens to answer. */
  const greedyPeer = async (wants: readonly Chunk[]): Promise<GreedyPeer> => {
    const node = await peerNode()
    let answered = 0
    await node.libp2p.unhandle(BITSWAP)
    await node.libp2p.handle(BITSWAP, (stream) => {
      // Paused, its libp2p takes no more than the muxer's window: the follower's send waits on it.
      stream.pause()
      answered++
    }, { maxInboundStreams: 1024 })
    for (const { cid } of wants) void (async () => { for await (const part of node.blockstore.get(cid, { signal: wanting.signal })) void part })().catch(() => {})
    return { node, answered: () => answered }
  }
  /** The SHA-256 of what an honest peer gets of `wants`, asked for all at once. */
  const honestlyGet = async (wants: readonly Chunk[], ms: number): Promise<string[]> => {
    const honest = await peerNode()
    const signal = AbortSignal.timeout(ms)
    return await Promise.all(wants.map(async ({ cid }) => {
      const hash = createHash('sha256')
      for await (const part of honest.blockstore.get(cid, { signal })) hash.update(part)
      return hash.digest('hex')
    }))
  }
  /** The SHA-256 of each of `wants` (compared rather than megabytes of bytes). */
  const hashesOf = (wants: readonly Chunk[]): string[] => wants.map((chunk) => createHash('sha256').update(chunk.bytes).digest('hex'))

  it('holds about a chunk for each peer that wants every chunk and reads nothing, not all it wanted', async () => {
    const greedy: GreedyPeer[] = []
    const before = await rssMib()
    for (let i = 0; i < 4; i++) greedy.push(await greedyPeer(chunks))
    // Every greedy peer is being answered (a stream from the follower stalls at each); then the follower's memory is sampled a while.
    await until(() => greedy.every((peer) => peer.answered() > 0), 30_000)
    expect(greedy.map((peer) => peer.answered())).toEqual([1, 1, 1, 1])
    let peak = before
    for (let i = 0; i < 30; i++) {
      peak = Math.max(peak, await rssMib())
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const wantedMib = greedy.length * CHUNKS * CHUNK_BYTES / 2 ** 20
    expect(peak - before, `the follower's RSS went from ${before.toFixed(1)} to ${peak.toFixed(1)} MiB while ${greedy.length} peers wanted ${wantedMib.toFixed(0)} MiB`).toBeLessThan(wantedMib / 4)

    // Meanwhile an honest peer asking for 8 chunks at once (as a follower keeping a file does) gets them, a chunk a send.
    const eight = chunks.slice(8, 16)
    expect(await honestlyGet(eight, 20_000)).toEqual(hashesOf(eight))
    for (const peer of greedy) await peer.node.libp2p.stop()
  })

  it('answers a bounded number of peers at once, and the turn of a peer that leaves passes on at once', async () => {
    const greedy: GreedyPeer[] = []
    for (let i = 0; i < BLOCK_SENDS.maxPeersAtOnce + 4; i++) greedy.push(await greedyPeer(chunks.slice(2 * i, 2 * i + 2)))
    const answered = (): number => greedy.filter((peer) => peer.answered() > 0).length
    await until(() => answered() >= BLOCK_SENDS.maxPeersAtOnce, 30_000)
    // A while longer, in case the follower were to answer more of them.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(answered()).toBe(BLOCK_SENDS.maxPeersAtOnce)

    // An honest peer waits for a turn; the greedy peers being answered leave, and it gets its chunk long before their sends would time out.
    const last = chunks.slice(39)
    const getting = honestlyGet(last, BLOCK_SENDS.sendTimeoutMs / 2)
    for (const peer of greedy.filter((peer) => peer.answered() > 0)) await peer.node.libp2p.stop()
    expect(await getting).toEqual(hashesOf(last))
  })
})
