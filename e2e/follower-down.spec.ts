/**
 * The app and a follower that is not there yet: an app opened while no
 * follower runs keeps its photos, syncs them by itself once the follower
 * starts (no reload), and says the follower is out of reach within seconds
 * of it stopping, rather than "Synced" until its next timed sync.
 */
import { expect, test } from '@playwright/test'
import { createAlbum, submitPhoto } from './fixtures/album-page.ts'
import { startE2eFollower, type E2eFollower } from './fixtures/follower.ts'

let follower: E2eFollower | undefined
test.afterAll(async () => { await follower?.close() })

test('an app opened while the follower is down syncs once it starts, without a reload, and says so soon after it stops', async ({ browser }) => {
  test.setTimeout(120_000)
  const alice = await (await browser.newContext()).newPage()
  await alice.goto('/')
  await expect(alice.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
  await createAlbum(alice, 'Before the follower')
  await submitPhoto(alice, 'Kept here')
  const status = alice.getByTestId('sync-status')
  await expect(status).toHaveAttribute('data-state', 'no-follower')

  follower = await startE2eFollower()
  await expect(status).toHaveAttribute('data-state', 'synced', { timeout: 30_000 })
  await expect(status).toHaveAttribute('data-pending', '0')

  await follower.process.stop()
  await expect(status).toHaveAttribute('data-state', 'offline', { timeout: 20_000 })
  await expect(status).not.toContainText('Synced')
})
