/**
 * `npm run bench -- latency`: how long an edit made by one person takes to
 * show in another person's view. Two people (two browser contexts of the
 * system's Chromium, each with its own background node) use the production
 * build served over loopback with a real follower. Alice adds EDITS photos
 * one after another; each is timed from her form's submit event to the
 * moment its title appears in Bob's list of photos (both clocks are the
 * machine's). Once over the direct WebRTC connection (goal: p50 ≤ 100 ms),
 * once through the follower, with WebRTC absent from both people's pages
 * (goal: p50 ≤ 150 ms); p95 ≤ 2 × p50 in both.
 *
 * The build is made into its own directory with the follower's URL; ports
 * are those of the end-to-end runs, shifted by E2E_PORT_OFFSET. Browsers reach
 * the follower directly, as they would a deployed one (not through the TCP
 * proxy the end-to-end journeys cut, which adds a hop in this process).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { build, preview } from 'vite'
import { chromiumArgs, chromiumPath } from '../scripts/chromium.ts'
import { APP_PORT, FOLLOWER_HTTP_PORT, FOLLOWER_PORT } from '../e2e/fixtures/ports.ts'
import { startFollowerProcess } from '../test/helpers/follower-process.ts'
import { median } from './lib.ts'
import { quantile } from './follower-load.ts'

const EDITS = 50
const TIMEOUT_MS = 120_000

/** In Bob's page: notes when each photo title first shows in the list of photos. */
function watchPhotos (): void {
  const seen = new Map<string, number>()
  const look = (): void => {
    const list = document.querySelector('[role="list"][aria-label="Photos"]')
    if (list === null) return
    for (const item of list.querySelectorAll('[role="listitem"]')) {
      const text = item.textContent ?? ''
      const match = /Edit \d+/.exec(text)
      if (match !== null && !seen.has(match[0])) seen.set(match[0], performance.timeOrigin + performance.now())
    }
  }
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true })
  Object.assign(globalThis, { benchSeen: seen })
}

/** In Alice's page: notes when each form is submitted. */
function watchSubmits (): void {
  const submitted: number[] = []
  document.addEventListener('submit', () => { submitted.push(performance.timeOrigin + performance.now()) }, true)
  Object.assign(globalThis, { benchSubmitted: submitted })
}

async function person (browser: Browser, direct: boolean): Promise<{ context: BrowserContext, page: Page }> {
  const context = await browser.newContext({ baseURL: `http://127.0.0.1:${APP_PORT}` })
  // Tabs make the WebRTC connections for their node: without RTCPeerConnection there are none, and all goes through the follower.
  if (!direct) await context.addInitScript(() => { Reflect.deleteProperty(globalThis, 'RTCPeerConnection') })
  return { context, page: await context.newPage() }
}

async function waitFor (page: Page, test: string, arg?: unknown): Promise<void> {
  await page.waitForFunction(test, arg, { timeout: TIMEOUT_MS })
}

/** Sets up Alice and Bob in one album; then times EDITS photos from Alice to Bob's view. */
async function measure (browser: Browser, direct: boolean): Promise<number[]> {
  const alice = await person(browser, direct)
  const bob = await person(browser, direct)
  try {
    await alice.page.goto('/')
    await waitFor(alice.page, 'document.querySelector(\'[data-testid="node-status"]\')?.dataset.state === "ready"')
    await alice.page.getByLabel('New album name').fill(direct ? 'Direct' : 'Through the follower')
    await alice.page.getByRole('button', { name: 'Create album' }).click()
    await alice.page.getByLabel('Photo title').fill('First')
    await alice.page.getByRole('button', { name: 'Add photo', exact: true }).click()
    await waitFor(alice.page, 'document.querySelector(\'[data-testid="sync-status"]\')?.dataset.state === "synced"')
    await alice.page.getByLabel('Invite as').selectOption({ label: 'Contributor (adds photos)' })
    await alice.page.getByRole('button', { name: 'Make invite link' }).click()
    const field = alice.page.getByRole('textbox', { name: /^Invite link for a/ })
    await field.waitFor({ timeout: TIMEOUT_MS })
    await waitFor(alice.page, '[...document.querySelectorAll("input, textarea")].some((e) => e.value.includes("#invite="))')
    const link = await field.inputValue()
    await bob.page.goto(link)
    await waitFor(bob.page, '(document.querySelector(\'[role="list"][aria-label="Photos"]\')?.textContent ?? "").includes("First")')
    if (direct) {
      for (const p of [alice.page, bob.page]) await waitFor(p, 'document.querySelector(\'[data-testid="sync-status"]\')?.dataset.direct === "1"')
    }
    await bob.page.evaluate(watchPhotos)
    await alice.page.evaluate(watchPhotos)
    await alice.page.evaluate(watchSubmits)
    const latencies: number[] = []
    const own: number[] = []
    for (let i = 1; i <= EDITS; i++) {
      const title = `Edit ${i}`
      await alice.page.getByLabel('Photo title').fill(title)
      await alice.page.getByRole('button', { name: 'Add photo', exact: true }).click()
      await waitFor(bob.page, `globalThis.benchSeen.has(${JSON.stringify(title)})`)
      const seen = await bob.page.evaluate((t) => (globalThis as unknown as { benchSeen: Map<string, number> }).benchSeen.get(t)!, title)
      const submitted = await alice.page.evaluate((n) => (globalThis as unknown as { benchSubmitted: number[] }).benchSubmitted[n - 1]!, i)
      latencies.push(seen - submitted)
      await waitFor(alice.page, `globalThis.benchSeen.has(${JSON.stringify(title)})`)
      own.push(await alice.page.evaluate((t) => (globalThis as unknown as { benchSeen: Map<string, number> }).benchSeen.get(t)!, title) - submitted)
    }
    // The part of the latency that is the writer's own node and page: no network in it.
    console.log(`  ${direct ? 'direct' : 'follower'} run, edit to the writer's own view: p50 ${median(own).toFixed(0)} ms`)
    if (direct) await waitFor(alice.page, 'document.querySelector(\'[data-testid="sync-status"]\')?.dataset.direct === "1"')
    return latencies
  } finally {
    await alice.context.close()
    await bob.context.close()
  }
}

function reportLatency (name: string, samples: readonly number[], goal: number): boolean {
  const p50 = median(samples)
  const p95 = quantile(samples, 0.95)
  const ok = p50 <= goal && p95 <= 2 * p50
  console.log(`${name.padEnd(44)} p50 ${p50.toFixed(0).padStart(5)} ms   p95 ${p95.toFixed(0).padStart(5)} ms   (${Math.min(...samples).toFixed(0)}–${Math.max(...samples).toFixed(0)} over ${samples.length}; goal p50 ≤ ${goal} ms, p95 ≤ 2 × p50) ${ok ? 'ok' : 'BELOW GOAL'}`)
  return ok
}

/** Runs the latency benchmark; returns whether its goals were met. */
export async function benchLatency (): Promise<boolean> {
  const outDir = await mkdtemp(join(tmpdir(), 'threads-bench-latency-'))
  process.env.VITE_FOLLOWER_URL = `http://127.0.0.1:${FOLLOWER_HTTP_PORT}`
  await build({ logLevel: 'error', build: { outDir, emptyOutDir: true } })
  const server = await preview({ logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: APP_PORT, strictPort: true } })
  const followerData = await mkdtemp(join(tmpdir(), 'threads-bench-latency-follower-'))
  const follower = await startFollowerProcess(followerData, {
    port: FOLLOWER_PORT,
    httpPort: FOLLOWER_HTTP_PORT,
    announce: `/ip4/127.0.0.1/tcp/${FOLLOWER_PORT}/ws`,
    flags: ['--cors-origins', `http://127.0.0.1:${APP_PORT}`]
  })
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs })
  try {
    const direct = await measure(browser, true)
    const relayed = await measure(browser, false)
    console.log(`\nEdit to another person's view (Chromium ${browser.version()}, production build, loopback, real follower; ${EDITS} photos added one after another)`)
    console.log(`  over the direct connection: ${direct.map((v) => v.toFixed(0)).join(' ')}`)
    console.log(`  through the follower:       ${relayed.map((v) => v.toFixed(0)).join(' ')}`)
    const directOk = reportLatency('over the direct WebRTC connection', direct, 100)
    const relayedOk = reportLatency('through the follower (no WebRTC)', relayed, 150)
    return directOk && relayedOk
  } finally {
    await browser.close()
    await follower.stop()
    await rm(followerData, { recursive: true, force: true })
    await new Promise<void>((resolve) => { server.httpServer.close(() => resolve()) })
    await rm(outDir, { recursive: true, force: true })
  }
}
