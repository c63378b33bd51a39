/**
 * Drives the browser benchmarks in real headless Chromium (the system one) with
 * Playwright, against pages served by a Vite dev server on 127.0.0.1.
 */
import { chromium } from 'playwright-core'
import { createServer } from 'vite'
import { chromiumArgs, chromiumPath } from '../scripts/chromium.ts'
import { report } from './lib.ts'

const WRITES = 3000

/** Runs the Chromium benchmarks; returns whether every goal was met. */
export async function benchChromium (): Promise<boolean> {
  const server = await createServer({ configFile: false, root: process.cwd(), logLevel: 'error', server: { host: '127.0.0.1', port: 0 }, optimizeDeps: { entries: ['bench/browser/index.html'] } })
  await server.listen()
  const address = server.httpServer?.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs })
  try {
    const page = await browser.newPage()
    page.on('pageerror', (error) => { console.error('page error:', error.message) })
    await page.goto(`http://127.0.0.1:${port}/bench/browser/index.html`)
    await page.waitForFunction(() => 'threadsBench' in globalThis, undefined, { timeout: 60_000 })
    const result = await page.evaluate(async (count) => await (globalThis as unknown as { threadsBench: (n: number) => Promise<{ dbRate: number, rawRate: number, batches: number, bytes: number }> }).threadsBench(count), WRITES)
    const version = browser.version()
    console.log(`\nDatabase in Chromium ${version} (IndexedDB; ${WRITES} documents of ~1 KiB, ${result.batches} storage batches, ${(result.bytes / 1e6).toFixed(1)} MB)`)
    return report('durable writes (create, awaited until stored)', result.dbRate, 'raw batched IndexedDB puts, same bytes', result.rawRate, 1 / 3)
  } finally {
    await browser.close()
    await server.close()
  }
}
