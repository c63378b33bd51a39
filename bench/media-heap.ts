/**
 * `npm run bench -- media` (or `-- media-heap` alone): the background node's heap (the real
 * SharedWorker in headless Chromium, read over the DevTools protocol) while a
 * tab browses an album of 2,000 photos: after adding them, then while every
 * thumbnail is shown as a grid would show them, then while previews are
 * opened. Goal: the worker's used heap stays at most 150 MB throughout, so
 * browsing never holds the album's images in memory.
 */
import type { Browser, CDPSession, Page } from 'playwright-core'
import { withBenchBrowser } from './bench-browser.ts'

const PHOTOS = 2000
const GOAL_MB = 150

interface Bench {
  start(): Promise<void>
  add(from: number, to: number): Promise<void>
  browse(from: number, to: number, variant: 'thumbnail' | 'preview'): Promise<number>
  report(): Promise<number>
}

/** Reads the SharedWorker's heap through the browser's DevTools session (the worker is not a page Playwright exposes). */
async function workerHeap (browser: Browser): Promise<() => Promise<number>> {
  const cdp: CDPSession = await browser.newBrowserCDPSession()
  const { targetInfos } = await cdp.send('Target.getTargets') as { targetInfos: Array<{ targetId: string, type: string }> }
  const target = targetInfos.find((t) => t.type === 'shared_worker')
  if (target === undefined) throw new Error(`no SharedWorker among ${targetInfos.map((t) => t.type).join(', ')}`)
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false }) as { sessionId: string }
  let nextId = 1
  const waiting = new Map<number, (result: unknown) => void>()
  cdp.on('Target.receivedMessageFromTarget', (event: { sessionId: string, message: string }) => {
    if (event.sessionId !== sessionId) return
    const message = JSON.parse(event.message) as { id?: number, result?: unknown }
    if (message.id !== undefined) waiting.get(message.id)?.(message.result)
  })
  const send = async (method: string): Promise<unknown> => await new Promise((resolve) => {
    const id = nextId++
    waiting.set(id, resolve)
    void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) })
  })
  return async () => ((await send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize
}

/** Runs the benchmark; returns whether the goal was met. */
export async function benchMediaHeap (): Promise<boolean> {
  return await withBenchBrowser(async (browser, pageUrl) => {
    const page: Page = await browser.newPage()
    page.on('pageerror', (error) => { console.error('page error:', error.message) })
    await page.goto(pageUrl)
    await page.waitForFunction(() => 'threadsMediaHeap' in globalThis, undefined, { timeout: 60_000 })
    const call = async <K extends keyof Bench>(name: K, ...args: Parameters<Bench[K]>): Promise<Awaited<ReturnType<Bench[K]>>> =>
      await page.evaluate(async ({ name, args }) => await ((globalThis as unknown as { threadsMediaHeap: Record<string, (...a: unknown[]) => Promise<unknown>> }).threadsMediaHeap[name]!)(...args), { name, args }) as Awaited<ReturnType<Bench[K]>>
    await call('start')
    const heap = await workerHeap(browser)
    const samples: Array<[string, number]> = []
    const sample = async (what: string): Promise<void> => { samples.push([what, await heap()]) }
    await sample('started')
    const addStart = performance.now()
    for (let from = 0; from < PHOTOS; from += 250) {
      await call('add', from, Math.min(PHOTOS, from + 250))
      await sample(`added ${Math.min(PHOTOS, from + 250)}`)
    }
    const addSeconds = (performance.now() - addStart) / 1000
    if (await call('report') !== PHOTOS) throw new Error('the album does not report every photo')
    await sample('album report')
    let shown = 0
    const browseStart = performance.now()
    for (let from = 0; from < PHOTOS; from += 250) {
      shown += await call('browse', from, Math.min(PHOTOS, from + 250), 'thumbnail')
      await sample(`thumbnails ${Math.min(PHOTOS, from + 250)}`)
    }
    const browseSeconds = (performance.now() - browseStart) / 1000
    shown += await call('browse', 0, 200, 'preview')
    await sample('200 previews')
    const peak = Math.max(...samples.map(([, used]) => used))
    console.log(`\nMedia in the background node (Chromium ${browser.version()}; ${PHOTOS} photos of 60 KB originals, 80 KB previews, 15 KB thumbnails, added in ${addSeconds.toFixed(0)} s; every thumbnail shown in ${browseSeconds.toFixed(1)} s, ${(shown / 1e6).toFixed(0)} MB shown in all)`)
    for (const [what, used] of samples) console.log(`  worker heap after ${what.padEnd(18)} ${(used / 1e6).toFixed(1).padStart(7)} MB`)
    const ok = peak <= GOAL_MB * 1e6
    console.log(`worker heap while browsing, largest sample  ${(peak / 1e6).toFixed(1)} MB (goal ≤ ${GOAL_MB} MB) ${ok ? 'ok' : 'BELOW GOAL'}`)
    return ok
  })
}
