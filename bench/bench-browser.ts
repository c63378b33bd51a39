/**
 * The browser side of the benchmarks: bench/browser/ served by a Vite dev
 * server on 127.0.0.1 and the system's headless Chromium, for the length of
 * one run.
 */
import { chromium, type Browser } from 'playwright-core'
import { createServer } from 'vite'
import { chromiumArgs, chromiumPath } from '../scripts/chromium.ts'

/** Runs `use` with a started browser and the URL of the benchmark page; stops both after. */
export async function withBenchBrowser<T> (use: (browser: Browser, pageUrl: string) => Promise<T>): Promise<T> {
  const server = await createServer({ configFile: false, root: process.cwd(), logLevel: 'error', server: { host: '127.0.0.1', port: 0 }, optimizeDeps: { entries: ['bench/browser/index.html', 'worker/shared-worker.ts'] } })
  await server.listen()
  const address = server.httpServer?.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs })
  try {
    return await use(browser, `http://127.0.0.1:${port}/bench/browser/index.html`)
  } finally {
    await browser.close()
    await server.close()
  }
}
