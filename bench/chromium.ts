/**
 * The database benchmark in real headless Chromium (see bench-browser.ts).
 */
import { withBenchBrowser } from './bench-browser.ts'
import { report } from './lib.ts'

const WRITES = 3000

/** Runs the Chromium benchmarks; returns whether every goal was met. */
export async function benchChromium (): Promise<boolean> {
  return await withBenchBrowser(async (browser, pageUrl) => {
    const page = await browser.newPage()
    page.on('pageerror', (error) => { console.error('page error:', error.message) })
    await page.goto(pageUrl)
    await page.waitForFunction(() => 'threadsBench' in globalThis, undefined, { timeout: 60_000 })
    const result = await page.evaluate(async (count) => await (globalThis as unknown as { threadsBench: (n: number) => Promise<{ dbRate: number, rawRate: number, batches: number, bytes: number }> }).threadsBench(count), WRITES)
    const version = browser.version()
    console.log(`\nDatabase in Chromium ${version} (IndexedDB; ${WRITES} documents of ~1 KiB, ${result.batches} storage batches, ${(result.bytes / 1e6).toFixed(1)} MB)`)
    return report('durable writes (create, awaited until stored)', result.dbRate, 'raw batched IndexedDB puts, same bytes', result.rawRate, 1 / 3)
  })
}
