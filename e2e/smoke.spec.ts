/**
 * Smoke journey: the built app opens, its background node answers, every tab of a
 * profile shares one node, and the service worker takes over for offline use.
 */
import { expect, test, type Page } from '@playwright/test'
import { NODE_LOCK } from '../src/protocol/shared-names.ts'

/** Waits for the node status line to say the node is ready and returns the worker id it carries. */
async function workerIdShownOn (page: Page): Promise<string> {
  const status = page.getByTestId('node-status')
  await expect(status).toHaveAttribute('data-state', 'ready')
  await expect(status).toHaveText('Ready')
  const id = await status.getAttribute('data-worker')
  if (id === null || !/^[0-9a-f]{16}$/.test(id)) throw new Error(`status line carries no worker id: ${id}`)
  return id
}

test('the app loads and its background node answers', async ({ page }) => {
  await page.goto('/')
  await expect(page).toHaveTitle('Threads')
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Threads')
  await workerIdShownOn(page)
})

test('tabs of one profile share a worker; another profile gets its own', async ({ page, context, browser }) => {
  await page.goto('/')
  const first = await workerIdShownOn(page)

  const second = await context.newPage()
  await second.goto('/')
  expect(await workerIdShownOn(second)).toBe(first)

  const otherProfile = await browser.newContext()
  try {
    const other = await otherProfile.newPage()
    await other.goto('/')
    expect(await workerIdShownOn(other)).not.toBe(first)
  } finally {
    await otherProfile.close()
  }
})

test('a browser with no worker to host the node is told so in words', async ({ page }) => {
  await page.addInitScript(() => {
    Reflect.deleteProperty(globalThis, 'SharedWorker')
    Reflect.deleteProperty(globalThis, 'Worker')
  })
  await page.goto('/')
  const status = page.getByTestId('node-status')
  await expect(status).toHaveAttribute('data-state', 'failed')
  await expect(status).toContainText('Your browser has neither SharedWorker nor dedicated workers')
  await expect(page.getByRole('button', { name: 'Try again' })).toBeVisible()
})

test('without SharedWorker, tabs share one node led through Web Locks, and another tab takes over live when the leader closes', async ({ browser }) => {
  test.setTimeout(90_000)
  const context = await browser.newContext()
  await context.addInitScript(() => { Reflect.deleteProperty(globalThis, 'SharedWorker') })
  const first = await context.newPage()
  await first.goto('/')
  const leader = await workerIdShownOn(first)
  await first.getByLabel('New album name').fill('Fallback')
  await first.getByRole('button', { name: 'Create album' }).click()
  await expect(first.getByTestId('album-name')).toHaveText('Fallback')
  await first.getByLabel('Photo title').fill('From the first tab')
  await first.getByRole('button', { name: 'Add photo', exact: true }).click()
  await expect(first.getByRole('list', { name: 'Photos' })).toContainText('From the first tab', { timeout: 20_000 })

  const second = await context.newPage()
  await second.goto('/')
  expect(await workerIdShownOn(second)).toBe(leader) // one node for both tabs
  await expect(second.getByRole('list', { name: 'Photos' })).toContainText('From the first tab', { timeout: 20_000 })
  await second.getByLabel('Photo title').fill('From the second tab')
  await second.getByRole('button', { name: 'Add photo', exact: true }).click()
  await expect(first.getByRole('list', { name: 'Photos' })).toContainText('From the second tab', { timeout: 20_000 })

  // The first tab's worker leads. Closing it hands the node to the other tab's worker while that
  // tab is waiting for the album to change: it goes on showing changes live, without a reload.
  const holder = async (): Promise<string | undefined> => await second.evaluate(async (nodeLock) =>
    (await navigator.locks.query()).held?.find((lock) => lock.name === nodeLock)?.clientId, NODE_LOCK)
  const before = await holder()
  expect(before).toBeDefined()
  // Any error the tab shows from here on is kept, even if a later action clears it.
  await second.evaluate(() => {
    const seen: string[] = []
    Reflect.set(globalThis, 'alertsSeen', seen)
    new MutationObserver(() => {
      for (const alert of document.querySelectorAll('[role=alert]')) if (alert.textContent !== null && alert.textContent !== '') seen.push(alert.textContent)
    }).observe(document.body, { subtree: true, childList: true, characterData: true })
  })
  await first.close()
  await expect.poll(holder, { timeout: 20_000 }).not.toBe(before)
  await expect.poll(holder).toBeDefined()
  await second.getByLabel('Photo title').fill('After the handover')
  await second.getByRole('button', { name: 'Add photo', exact: true }).click()
  // Pushed by the new leader, to which the tab's subscription was handed: no reload, no polling.
  await expect(second.getByRole('list', { name: 'Photos' })).toContainText('After the handover', { timeout: 8_000 })
  expect(await second.evaluate(() => Reflect.get(globalThis, 'alertsSeen'))).toEqual([])

  await second.reload()
  const successor = await workerIdShownOn(second)
  expect(successor).not.toBe(leader)
  await expect(second.getByRole('list', { name: 'Photos' })).toContainText('After the handover', { timeout: 20_000 })
  await context.close()
})

test('the service worker registers and becomes active', async ({ page, baseURL }) => {
  await page.goto('/')
  const registration = await page.evaluate(async () => {
    const ready = await navigator.serviceWorker.ready
    return { scope: ready.scope, script: ready.active?.scriptURL, state: ready.active?.state }
  })
  expect(registration).toEqual({
    scope: `${baseURL}/`,
    script: `${baseURL}/sw.js`,
    state: expect.stringMatching(/^activat(ing|ed)$/)
  })
  await expect(page.getByTestId('offline-status')).toHaveText('Available offline')
})
