/**
 * A new Node peer pulling 10,000 events (1 KiB bodies) from a follower over
 * loopback libp2p until its views are built, beside a raw transfer of the same
 * bytes (the same pull responses, pre-encoded) over the same transport, in the
 * same run.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { readConfig } from '../follower/config.ts'
import { startFollower } from '../follower/follower.ts'
import { startSyncPeer } from '../src/adapters/libp2p/peer.ts'
import { openDatabase } from '../src/core/db/index.ts'
import { createMemoryBackend } from '../src/core/storage/memory.ts'
import { syncThread } from '../src/core/sync/engine.ts'
import { encodeMessage, MAX_MESSAGE_BYTES } from '../src/core/sync/messages.ts'
import { createInviteLink } from '../src/core/sync/invite.ts'
import { withBenchBrowser } from './bench-browser.ts'
import { report } from './lib.ts'

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
const RAW_PROTOCOL = '/threads/bench/raw/1.0.0'

/** Runs the Node sync benchmark; returns whether its goal was met. */
export async function benchSync (): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'threads-bench-sync-'))
  const follower = await startFollower(readConfig(['--port', '0', '--http-port', '0', '--data', dir], {}))
  const address = follower.multiaddrs[0]!
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

    // The same responses a pull gets, encoded ahead, for the raw baseline.
    const replica = writer.syncReplica()
    const messages: Uint8Array[] = []
    for (let after = 0; after < EVENTS; after += BATCH) {
      const records = await replica.recordsAfter(thread.id, thread.logId, after, BATCH)
      messages.push(encodeMessage({ v: 1, type: 'records', thread: thread.id, records, more: after + BATCH < EVENTS }))
    }
    const bytes = messages.reduce((n, m) => n + m.length, 0)
    await follower.node.handle(RAW_PROTOCOL, async (stream) => {
      const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
      for (const message of messages) await lp.write(message)
      await stream.close()
    })

    const reader = openDatabase({ backend: createMemoryBackend() })
    const joined = await reader.joinThread({ id: thread.id, logs: [thread.ownGrant()] })
    const readerPeer = await startSyncPeer()
    await readerPeer.node.dial(multiaddr(address))
    let start = performance.now()
    const result = await syncThread({ thread: joined.id, replica: reader.syncReplica(), transport: readerPeer.transportTo(address), batchSize: BATCH })
    const pullRate = result.pulled / ((performance.now() - start) / 1000)
    if (joined.collection('photos').find({}).length !== EVENTS) throw new Error('the new peer did not build every view')

    start = performance.now()
    const stream = await readerPeer.node.dialProtocol(multiaddr(address), RAW_PROTOCOL)
    const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
    for (let i = 0; i < messages.length; i++) await lp.read()
    const rawRate = EVENTS / ((performance.now() - start) / 1000)
    await readerPeer.stop()

    const chromium = await benchChromiumPull(createInviteLink('http://127.0.0.1/', await thread.invite([address])))

    console.log(`\nSync (Node, a new peer pulls ${EVENTS.toLocaleString('en')} events of ~1 KiB from a follower over loopback libp2p; ${(bytes / 1e6).toFixed(1)} MB on the wire; the writer's push took ${pushSeconds.toFixed(1)} s)`)
    const ratioOk = report('pull until views are built', pullRate, 'raw transfer, same bytes and transport', rawRate, 0)
    const goalOk = pullRate >= 5000
    console.log(`${'goal: Node peer ≥ 5,000 events/s'.padEnd(44)} ${goalOk ? 'ok' : 'BELOW GOAL'}`)
    console.log(`\nSync (Chromium ${chromium.version}, a new peer pulls the same ${chromium.pulled.toLocaleString('en')} events from the follower, views in IndexedDB; ${chromium.photos.toLocaleString('en')} documents built)`)
    const chromiumOk = report('pull until views are built', chromium.pullRate, 'raw batched IndexedDB puts, same records', chromium.rawRate, 1 / 3)
    await writer.close()
    await reader.close()
    return ratioOk && goalOk && chromiumOk
  } finally {
    await follower.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
