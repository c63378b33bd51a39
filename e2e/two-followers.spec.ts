/**
 * An album with two followers: the build's, and one a person adds by its web
 * address. The invite carries both, so the person who joins syncs with both.
 * With the first follower stopped, photos still travel through the second
 * (the two people are never online at once, so nothing goes directly). With
 * both stopped, an app loaded meanwhile keeps its photo waiting, and sends it
 * by itself within 10 s of the second coming back, without a reload.
 */
import { expect, test, type Page } from '@playwright/test'
import { createAlbum, makeInvite, submitPhoto } from './fixtures/album-page.ts'
import { secondE2eFollower, startE2eFollower, type E2eFollower, type SecondFollower } from './fixtures/follower.ts'
import { PROXY_PORT, SECOND_FOLLOWER_PORT } from './fixtures/ports.ts'

let first: E2eFollower | undefined
let second: SecondFollower | undefined
test.afterAll(async () => {
  await first?.close()
  await second?.close()
})

/** The page's line for the follower listening on `port`. */
const followerAt = (page: Page, port: number) => page.locator(`[data-testid="follower"][data-address*="/tcp/${port}/"]`)

async function ready (page: Page, url = '/'): Promise<void> {
  await page.goto(url)
  await expect(page.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
}

test('sync goes on through the second follower when the first stops, and resumes by itself when one comes back', async ({ browser }) => {
  test.setTimeout(240_000)
  first = await startE2eFollower()
  second = await secondE2eFollower()
  await second.start()

  const alice = await (await browser.newContext()).newPage()
  await ready(alice)
  await createAlbum(alice, 'Two followers')
  await submitPhoto(alice, 'First')
  await alice.getByLabel('Follower address').fill(second.httpUrl)
  await alice.getByRole('button', { name: 'Add follower' }).click()
  await expect(alice.getByTestId('follower')).toHaveCount(2, { timeout: 30_000 })
  for (const port of [PROXY_PORT, SECOND_FOLLOWER_PORT]) await expect(followerAt(alice, port)).toHaveAttribute('data-state', 'synced', { timeout: 30_000 })

  // Bob joins; the invite names both followers.
  const link = await makeInvite(alice, 'write')
  const bobContext = await browser.newContext()
  let bob = await bobContext.newPage()
  await ready(bob, link)
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('First', { timeout: 30_000 })
  for (const port of [PROXY_PORT, SECOND_FOLLOWER_PORT]) await expect(followerAt(bob, port)).toHaveAttribute('data-state', 'synced', { timeout: 30_000 })
  await bob.close()

  // The first follower stops: Alice's photo reaches the second, and the album still says it is synced.
  await first.process.stop()
  await expect(followerAt(alice, PROXY_PORT)).toHaveAttribute('data-state', 'offline', { timeout: 20_000 })
  await submitPhoto(alice, 'Through the second')
  await expect(alice.getByRole('list', { name: 'Photos' })).toContainText('Through the second', { timeout: 20_000 })
  await expect(followerAt(alice, SECOND_FOLLOWER_PORT)).toHaveAttribute('data-pending', '0', { timeout: 30_000 })
  await expect(followerAt(alice, SECOND_FOLLOWER_PORT)).toHaveAttribute('data-state', 'synced')
  await expect(followerAt(alice, PROXY_PORT)).not.toHaveAttribute('data-pending', '0')
  await expect(alice.getByTestId('sync-status')).toHaveAttribute('data-state', 'synced')
  await alice.close()

  // Bob opens the app with Alice gone: the photo can only come from the second follower.
  bob = await bobContext.newPage()
  await ready(bob)
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('Through the second', { timeout: 30_000 })
  await expect(followerAt(bob, PROXY_PORT)).toHaveAttribute('data-state', 'offline', { timeout: 20_000 })

  // Every follower down: a photo waits, and the app loaded now keeps it waiting.
  await second.stop()
  await expect(bob.getByTestId('sync-status')).toHaveAttribute('data-state', 'offline', { timeout: 20_000 })
  await submitPhoto(bob, 'While all are down')
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('While all are down')
  await bob.reload()
  await expect(bob.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
  const status = bob.getByTestId('sync-status')
  await expect(status).not.toHaveAttribute('data-pending', '0', { timeout: 20_000 })
  await expect(status).not.toHaveAttribute('data-state', 'synced')

  // The second follower comes back: within 10 s the app has sent the photo, without a reload.
  await second.start()
  await expect(status).toHaveAttribute('data-state', 'synced', { timeout: 10_000 })
  await expect(status).toHaveAttribute('data-pending', '0', { timeout: 10_000 })
  await expect(followerAt(bob, SECOND_FOLLOWER_PORT)).toHaveAttribute('data-pending', '0')
})
