/**
 * A new Node peer pulling 10,000 events (1 KiB bodies) from a follower
 * process over loopback libp2p until its views are built, beside WebCrypto
 * Ed25519 verification of as many signatures (32 in flight), in the same run; then a Chromium peer pulling the same events beside raw IndexedDB puts.
 * Five runs of each; medians reported.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { startSyncPeer } from '../src/adapters/libp2p/peer.ts'
import { createSigner, verifySignature } from '../src/core/crypto/ed25519.ts'
import { openDatabase } from '../src/core/db/index.ts'
import { createMemoryBackend } from '../src/core/storage/memory.ts'
import { syncThread } from '../src/core/sync/engine.ts'
import { createInviteLink } from '../src/core/sync/invite.ts'
import { startFollowerProcess } from '../test/helpers/follower-process.ts'
import { withBenchBrowser } from './bench-browser.ts'
import { median, rate, reportRounds } from './lib.ts'

/** Runs the pull in real Chromium against the same follower. */
async function benchChromiumPull (link: string): Promise<{ version: string, pulled: number, pullRate: number, rawRate: number, photos: number }> {
  return await withBenchBrowser(async (browser, pageUrl) => {
    // Vite's dev server reloads the page when it meets a dependency it had not pre-bundled (the
    // first run after dependencies change); that run is void, and a fresh profile runs it again.
    for (let attempt = 1; ; attempt++) {
      const context = await browser.newContext()
      try {
        const page = await context.newPage()
        await page.goto(pageUrl)
        await page.waitForFunction(() => 'threadsPullBench' in globalThis, undefined, { timeout: 60_000 })
        const result = await page.evaluate(async (invite) => await (globalThis as unknown as { threadsPullBench: (l: string) => Promise<{ pulled: number, pullRate: number, rawRate: number, photos: number }> }).threadsPullBench(invite), link)
        return { version: browser.version(), ...result }
      } catch (error) {
        if (attempt >= 2 || !String((error as Error).message).includes('Execution context was destroyed')) throw error
      } finally {
        await context.close()
      }
    }
  })
}

const EVENTS = 10_000
const BATCH = 512
const RUNS = 5

/** Runs the Node sync benchmark; returns whether its goal was met. */
export async function benchSync (options: { chromium?: boolean } = {}): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'threads-bench-sync-'))
  // The follower runs as its own process, as it does in use.
  const follower = await startFollowerProcess(dir)
  const address = follower.multiaddr
  try {
    const writer = openDatabase({ backend: createMemoryBackend() })
    const thread = await writer.createThread()
    const photos = thread.collection('photos')
    const caption = 'x'.repeat(1000)
    for (let wave = 0; wave < EVENTS / 1000; wave++) {
      await Promise.all(Array.from({ length: 1000 }, async (_, i) => await photos.create({ _id: `p${wave * 1000 + i}`, caption })))
    }
    const writerPeer = await startSyncPeer()
    await writerPeer.transportTo(address).request(await thread.followRequest())
    const setupStart = performance.now()
    await syncThread({ thread: thread.id, replica: writer.syncReplica(), transport: writerPeer.transportTo(address), batchSize: BATCH })
    const pushSeconds = (performance.now() - setupStart) / 1000
    await writerPeer.stop()

    // The bytes a pull brings, for the report.
    const records = await writer.syncReplica().recordsAfter(thread.id, thread.logId, 0, EVENTS + 1)
    const bytes = records.reduce((n, r) => n + r.blocks.reduce((m, block) => m + block.bytes.length, 0), 0)

    const signer = createSigner(new Uint8Array(32).fill(9))
    const message = new Uint8Array(300).fill(3) // about the size of a signed record node
    const signature = await signer.sign(message)
    const rates = { pull: [] as number[], verify: [] as number[] }
    // One invite for every reader (it may be used any number of times); it reaches the follower first.
    const invite = await thread.invite({ role: 'read', addrs: [address] })
    const inviterPeer = await startSyncPeer()
    await syncThread({ thread: thread.id, replica: writer.syncReplica(), transport: inviterPeer.transportTo(address) })
    await inviterPeer.stop()
    for (let run = 0; run < RUNS; run++) {
      const reader = openDatabase({ backend: createMemoryBackend() })
      const joined = await reader.acceptInvite(invite)
      const readerPeer = await startSyncPeer()
      await readerPeer.node.dial(multiaddr(address))
      const start = performance.now()
      const result = await syncThread({ thread: joined.id, replica: reader.syncReplica(), transport: readerPeer.transportTo(address), batchSize: BATCH })
      rates.pull.push(result.pulled / ((performance.now() - start) / 1000))
      if (joined.collection('photos').find({}).length !== EVENTS) throw new Error('the new peer did not build every view')

      await readerPeer.stop()
      await reader.close()
      // The same number of WebCrypto Ed25519 verifications, 32 in flight: what checking every signature alone would cost.
      rates.verify.push(await rate(EVENTS, 32, async () => await verifySignature(signer.publicKey, signature, message)))
    }

    const chromium: Array<Awaited<ReturnType<typeof benchChromiumPull>>> = []
    for (let run = 0; run < RUNS && options.chromium !== false; run++) chromium.push(await benchChromiumPull(createInviteLink('http://127.0.0.1/', invite)))

    console.log(`\nSync (Node, a new peer pulls ${EVENTS.toLocaleString('en')} events of ~1 KiB from a follower over loopback libp2p; ${(bytes / 1e6).toFixed(1)} MB on the wire; medians of ${RUNS} runs; the writer's push took ${pushSeconds.toFixed(1)} s)`)
    console.log(`  pull rates: ${rates.pull.map((r) => r.toFixed(0)).join(', ')} events/s`)
    const verifyOk = reportRounds('pull until views are built', rates.pull, 'WebCrypto Ed25519 verify, 32 in flight', rates.verify, 1)
    const goalOk = median(rates.pull) >= 5000
    console.log(`${'goal: Node peer ≥ 5,000 events/s'.padEnd(44)} ${goalOk ? 'ok' : 'BELOW GOAL'}`)
    if (chromium.length === 0) {
      await writer.close()
      return verifyOk && goalOk
    }
    console.log(`\nSync (Chromium ${chromium[0]!.version}, a new peer pulls the same ${chromium[0]!.pulled.toLocaleString('en')} events from the follower, views in IndexedDB; ${chromium[0]!.photos.toLocaleString('en')} documents built; ${RUNS} runs)`)
    console.log(`  pull rates: ${chromium.map((c) => c.pullRate.toFixed(0)).join(', ')} events/s; raw puts: ${chromium.map((c) => c.rawRate.toFixed(0)).join(', ')} records/s`)
    const chromiumOk = reportRounds('pull until views are built', chromium.map((c) => c.pullRate), 'raw batched IndexedDB puts, same records', chromium.map((c) => c.rawRate), 1 / 2)
    await writer.close()
    return verifyOk && goalOk && chromiumOk
  } finally {
    await follower.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
