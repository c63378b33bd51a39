/**
 * Two people (two browser contexts, each with its own SharedWorker node)
 * connect directly over WebRTC, signalled through the follower's relay. The
 * connection is made by a tab on the node's behalf: closing that tab loses
 * the connection but not the node, and the node makes it again through the
 * remaining tab. Then the follower is stopped, and the two keep syncing
 * directly. Where SharedWorker is missing, the leading tab carries them.
 */
import { expect, test, type Page } from '@playwright/test'
import { createAlbum, makeInvite, submitPhoto } from './fixtures/album-page.ts'
import { startE2eFollower, type E2eFollower } from './fixtures/follower.ts'

let follower: E2eFollower
test.beforeEach(async () => { follower = await startE2eFollower() })
test.afterEach(async () => { await follower.close() })

/** The id of the worker serving the page, as its status line carries it once the node is ready. */
async function workerOf (page: Page): Promise<string> {
  const status = page.getByTestId('node-status')
  await expect(status).toHaveAttribute('data-state', 'ready')
  await expect(status).toHaveAttribute('data-worker', /^[0-9a-f]{16}$/)
  return (await status.getAttribute('data-worker'))!
}

async function addPhoto (page: Page, title: string): Promise<void> {
  await submitPhoto(page, title)
  await expect(page.getByRole('list', { name: 'Photos' })).toContainText(title)
}

test('two people sync over a direct WebRTC connection that outlives its tab and the follower', async ({ browser }) => {
  test.setTimeout(240_000)
  const aliceContext = await browser.newContext()
  const alice = await aliceContext.newPage()
  await alice.goto('/')
  const aliceWorker = await workerOf(alice)
  await createAlbum(alice, 'Direct')
  await addPhoto(alice, 'First light')
  await expect(alice.getByTestId('sync-status')).toHaveAttribute('data-state', 'synced', { timeout: 30_000 })
  const link = await makeInvite(alice, 'write')

  const bob = await (await browser.newContext()).newPage()
  await bob.goto(link)
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('First light', { timeout: 30_000 })

  // Both nodes find each other on the album's topic and connect over WebRTC.
  await expect(alice.getByTestId('sync-status')).toHaveAttribute('data-direct', '1', { timeout: 60_000 })
  await expect(bob.getByTestId('sync-status')).toHaveAttribute('data-direct', '1', { timeout: 60_000 })
  await expect(alice.getByTestId('sync-status')).toContainText('connected directly to 1 person')

  // A second tab of Alice's shares her node.
  const aliceAgain = await aliceContext.newPage()
  await aliceAgain.goto('/')
  expect(await workerOf(aliceAgain)).toBe(aliceWorker)
  await expect(aliceAgain.getByRole('list', { name: 'Photos' })).toContainText('First light', { timeout: 20_000 })

  // The first tab carries the WebRTC connection; closing it keeps the node, which reconnects through the other tab.
  const firstConnection = Number(await aliceAgain.getByTestId('sync-status').getAttribute('data-direct-since'))
  expect(firstConnection).toBeGreaterThan(0)
  await alice.close()
  expect(await workerOf(aliceAgain)).toBe(aliceWorker)
  await expect(async () => {
    expect(Number(await aliceAgain.getByTestId('sync-status').getAttribute('data-direct-since'))).toBeGreaterThan(firstConnection)
  }).toPass({ timeout: 60_000 })
  await expect(aliceAgain.getByTestId('sync-status')).toHaveAttribute('data-direct', '1')
  await addPhoto(bob, 'After the tab closed')
  await expect(aliceAgain.getByRole('list', { name: 'Photos' })).toContainText('After the tab closed', { timeout: 30_000 })

  // Without the follower, photos still go both ways over the direct connection.
  expect(await follower.process.stop()).toBe(0)
  await addPhoto(bob, 'No follower needed')
  await expect(aliceAgain.getByRole('list', { name: 'Photos' })).toContainText('No follower needed', { timeout: 30_000 })
  await addPhoto(aliceAgain, 'Straight back')
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('Straight back', { timeout: 30_000 })
  await expect(aliceAgain.getByTestId('sync-status')).toHaveAttribute('data-direct', '1')
  await expect(aliceAgain.getByRole('alert')).toHaveCount(0)
  await expect(bob.getByRole('alert')).toHaveCount(0)
})

test('without SharedWorker, the leading tab carries the direct connection', async ({ browser }) => {
  test.setTimeout(120_000)
  const fallback = async (): Promise<Page> => {
    const context = await browser.newContext()
    await context.addInitScript(() => { Reflect.deleteProperty(globalThis, 'SharedWorker') })
    return await context.newPage()
  }
  const alice = await fallback()
  await alice.goto('/')
  await workerOf(alice)
  await createAlbum(alice, 'Fallback direct')
  await addPhoto(alice, 'From the leader')
  await expect(alice.getByTestId('sync-status')).toHaveAttribute('data-state', 'synced', { timeout: 30_000 })
  const link = await makeInvite(alice, 'write')
  const bob = await fallback()
  await bob.goto(link)
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('From the leader', { timeout: 30_000 })
  await expect(alice.getByTestId('sync-status')).toHaveAttribute('data-direct', '1', { timeout: 60_000 })
  await expect(bob.getByTestId('sync-status')).toHaveAttribute('data-direct', '1', { timeout: 60_000 })
})
