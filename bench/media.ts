/**
 * Media benchmarks in Node, over loopback libp2p (WebSockets, noise, yamux,
 * as the follower runs):
 * - moving a 100 MB original between two nodes: one holds the file's
 *   encrypted blocks, the other fetches its manifest and every chunk over
 *   bitswap (light Helia on each libp2p), beside raw libp2p stream throughput
 *   (the same bytes written down one stream) measured in the same rounds;
 *   goal: media ≥ 1/2 of raw. Bitswap sends each message on a stream of its
 *   own, many at once, while one yamux stream moves a window of data per round
 *   trip, so raw is measured both over one stream and over 8 streams at once
 *   (yamux refuses more than 10 not yet negotiated), between fresh nodes each,
 *   and the faster is the baseline. Encrypting and opening the file are timed apart, for reference.
 * - joining an album of 2,000 photos from a snapshot against full replay:
 *   measured in `benchJoin` (join snapshots), reported beside these.
 */
import { createHash } from 'node:crypto'
import { availableParallelism, loadavg } from 'node:os'
import { MemoryBlockstore } from 'blockstore-core'
import { createLibp2p, type Libp2p } from 'libp2p'
import { createBlockNode, type BlockNode } from '../src/adapters/libp2p/block-node.ts'
import { withBaseOptions } from '../src/adapters/libp2p/base-options.ts'
import { encryptMedia, openMedia, readManifest, type MediaRef } from '../src/core/media/index.ts'
import { median, reportRounds } from './lib.ts'

const MB = 1024 * 1024
const FILE_BYTES = Number(process.env.BENCH_MEDIA_MB ?? 100) * 1024 * 1024
const ROUNDS = 3
const RAW_PROTOCOL = '/threads-bench/raw/1.0.0'
/** Longest a raw transfer may take. */
const RAW_TIMEOUT_MS = 10 * 60 * 1000
/** Chunks asked for at once: bitswap sends each wanted block in its own message. */
const IN_FLIGHT = Number(process.env.BENCH_MEDIA_IN_FLIGHT ?? 16)
/** Raw streams written at once: as many as yamux lets a peer open before the first is negotiated (10). */
const RAW_STREAMS = 8


/**
 * A node on the shared base options. Its connection monitor pings each connection and, by default, aborts one
 * whose ping times out: on a loaded machine a connection busy moving 100 MB misses its pings and is cut mid-transfer
 * (measured here), so the monitor only watches, for raw streams and bitswap alike.
 */
async function startNode (): Promise<Libp2p> {
  return await createLibp2p(withBaseOptions({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] }, connectionMonitor: { abortConnectionOnPingFailure: false } }))
}

/** The file, 1 MiB at a time, without holding it whole (a counter pattern, different in every MiB). */
function * fileBytes (): Iterable<Uint8Array> {
  for (let at = 0; at < FILE_BYTES; at += MB) {
    const piece = new Uint8Array(Math.min(MB, FILE_BYTES - at))
    for (let i = 0; i < piece.length; i += 4) piece[i] = (at + i) & 0xff
    yield piece
  }
}

/**
 * Bytes per second of FILE_BYTES written from `from` to `to` over raw libp2p
 * streams on one connection, split evenly over `streams` streams written at
 * once (the dial included, as in the bitswap measure).
 */
async function rawStreams (from: Libp2p, to: Libp2p, streams: number): Promise<number> {
  const share = Math.ceil(FILE_BYTES / streams / MB) * MB
  let bytes = 0
  let done: () => void = () => {}
  const received = new Promise<void>((resolve) => { done = resolve })
  // Counted as each message arrives: reading through the stream's async iterator pauses it while the loaded event
  // loop is behind, and a paused stream that yamux's window (up to 16 MiB) lets fill past its 4 MiB read buffer is reset.
  await to.handle(RAW_PROTOCOL, async (stream) => {
    stream.addEventListener('message', (event) => {
      bytes += event.data.byteLength
      if (bytes >= share * streams) done()
    })
    await new Promise((resolve) => { stream.addEventListener('close', resolve, { once: true }) })
  }, { maxInboundStreams: streams })
  const piece = new Uint8Array(MB).fill(7)
  const start = performance.now()
  await from.dial(to.getMultiaddrs()[0]!)
  await Promise.all(Array.from({ length: streams }, async () => {
    // A signal of its own: without one, the stream is aborted when libp2p's protocol negotiation timeout (10 s) passes,
    // even mid-transfer.
    const stream = await from.dialProtocol(to.getMultiaddrs()[0]!, RAW_PROTOCOL, { maxOutboundStreams: streams, signal: AbortSignal.timeout(RAW_TIMEOUT_MS) })
    for (let sent = 0; sent < share; sent += MB) {
      if (!stream.send(piece)) await stream.onDrain()
    }
    await stream.close()
  }))
  await received
  const seconds = (performance.now() - start) / 1000
  await to.unhandle(RAW_PROTOCOL)
  return share * streams / seconds
}

/**
 * The raw baseline of a round: the faster of one stream and RAW_STREAMS streams
 * at once (bitswap sends blocks over many streams, so one stream alone, bound
 * by yamux's window per round trip, would understate what the connection carries).
 */
async function rawStream (): Promise<{ readonly one: number, readonly many: number }> {
  const measure = async (streams: number): Promise<number> => {
    const [sender, receiver] = [await startNode(), await startNode()]
    try {
      return await rawStreams(sender, receiver, streams)
    } finally {
      await receiver.stop()
      await sender.stop()
    }
  }
  return { one: await measure(1), many: await measure(RAW_STREAMS) }
}

/** Bytes per second of the file's blocks fetched by `to` over bitswap from `from`'s block node. */
async function bitswapFetch (to: BlockNode, from: Libp2p, ref: MediaRef): Promise<number> {
  const start = performance.now()
  await to.libp2p.dial(from.getMultiaddrs()[0]!)
  const get = async (cid: Parameters<BlockNode['blockstore']['get']>[0]): Promise<Uint8Array> => {
    const parts: Uint8Array[] = []
    for await (const part of to.blockstore.get(cid)) parts.push(part)
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  }
  const manifest = await readManifest(ref.root, async (cid) => await get(cid))
  let next = 0
  let bytes = 0
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < manifest.chunks.length) {
      const chunk = await get(manifest.chunks[next++]!)
      bytes += chunk.length
    }
  }))
  const seconds = (performance.now() - start) / 1000
  return bytes / seconds
}

/** Runs the media benchmarks; false when a goal is missed. */
export async function benchMedia (): Promise<boolean> {
  console.log(`\nMedia (${FILE_BYTES / MB} MB original, loopback libp2p, ${ROUNDS} rounds; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`)
  const senderStore = new MemoryBlockstore()
  const original = createHash('sha256')
  for (const piece of fileBytes()) original.update(piece)
  const encryptStart = performance.now()
  const ref = await encryptMedia(fileBytes(), { size: FILE_BYTES, type: 'image/png', put: async (block) => { await senderStore.put(block.cid, block.bytes) } })
  const encryptSeconds = (performance.now() - encryptStart) / 1000

  // Every measure between two fresh nodes: a libp2p node that has already moved a large amount of
  // data moves the next slower (measured here), which would favour whichever side ran first.
  const raw: number[] = []
  const rawOne: number[] = []
  const rawMany: number[] = []
  const media: number[] = []
  let opened = { seconds: 0, same: false }
  for (let round = 0; round < ROUNDS; round++) {
    const measured = await rawStream()
    rawOne.push(measured.one)
    rawMany.push(measured.many)
    raw.push(Math.max(measured.one, measured.many))

    const [sender, receiver] = [await startNode(), await startNode()]
    const senderBlocks = await createBlockNode({ libp2p: sender, blockstore: senderStore })
    const store = new MemoryBlockstore()
    const receiverBlocks = await createBlockNode({ libp2p: receiver, blockstore: store })
    media.push(await bitswapFetch(receiverBlocks, sender, ref))
    console.log(`  round ${round + 1}: raw ${(measured.one / MB).toFixed(0)} MB/s over one stream, ${(measured.many / MB).toFixed(0)} MB/s over ${RAW_STREAMS}; bitswap ${(media[round]! / MB).toFixed(0)} MB/s`)
    if (round === 0) {
      // Opening what arrived: every chunk checked against its CID and decrypted, from the local store.
      const start = performance.now()
      const hash = createHash('sha256')
      const local = async (cid: Parameters<typeof store.get>[0]): Promise<Uint8Array> => {
        const parts: Uint8Array[] = []
        for await (const part of store.get(cid)) parts.push(part)
        return parts[0]!
      }
      for await (const chunk of openMedia(ref, local)) hash.update(chunk)
      opened = { seconds: (performance.now() - start) / 1000, same: hash.digest('hex') === original.copy().digest('hex') }
    }
    await receiverBlocks.stop()
    await senderBlocks.stop()
    await receiver.stop()
    await sender.stop()
  }

  const mbps = (values: number[]): number[] => values.map((v) => v / MB)
  const ok = reportRounds(`${FILE_BYTES / MB} MB original over bitswap (MB)`, mbps(media), 'raw libp2p stream (MB)', mbps(raw), 0.5)
  console.log(`${'encrypting it (MB)'.padEnd(44)} ${(FILE_BYTES / MB / encryptSeconds).toFixed(0).padStart(8)}/s`)
  console.log(`${'opening it from the local store (MB)'.padEnd(44)} ${(FILE_BYTES / MB / opened.seconds).toFixed(0).padStart(8)}/s   bytes identical to the original: ${opened.same ? 'yes' : 'NO'}`)
  console.log(`(medians: bitswap ${median(mbps(media)).toFixed(0)} MB/s; raw over one stream ${median(mbps(rawOne)).toFixed(0)} MB/s, over ${RAW_STREAMS} streams at once ${median(mbps(rawMany)).toFixed(0)} MB/s, the faster of the two in each round is the baseline)`)
  return ok && opened.same
}
