/**
 * Members of an album across three people (three browser contexts, each with
 * its own SharedWorker node and IndexedDB), through the real follower: Alice
 * invites Bob as a viewer and Carol as a contributor with links copied from
 * the page; Bob cannot add photos (no control, and his node refuses); Carol's
 * photo reaches both, by her name; Alice removes Carol, whose app says she no
 * longer has access and keeps what she had; a photo Alice adds afterwards
 * reaches Bob and never Carol's device.
 */
import { expect, test, type Browser, type Page } from '@playwright/test'
import { parseInviteLink } from '../src/core/sync/invite.ts'
import { askNode, copyInvite, createAlbum, openPhoto, setName, submitPhoto } from './fixtures/album-page.ts'
import { startE2eFollower, type E2eFollower } from './fixtures/follower.ts'

let follower: E2eFollower
test.beforeAll(async () => { follower = await startE2eFollower() })
test.afterAll(async () => { await follower.close() })

/** A person: a fresh browser context whose page may use the clipboard, at `url`, with the node ready. */
async function person (browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] })
  const page = await context.newPage()
  await page.goto(url)
  await expect(page.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
  return page
}

const photos = (page: Page) => page.getByRole('list', { name: 'Photos' })
const members = (page: Page) => page.getByRole('list', { name: 'Members' })

test('a viewer cannot add photos, and a removed contributor keeps what she had but gets nothing new', async ({ browser }) => {
  test.setTimeout(180_000)
  const alice = await person(browser, '/')
  await setName(alice, 'Alice')
  await createAlbum(alice, 'Family')
  await expect(alice.getByTestId('album-name')).toHaveText('Family')
  await expect(members(alice)).toContainText('Alice (you)')
  const viewerLink = await copyInvite(alice, 'read')
  const contributorLink = await copyInvite(alice, 'write')
  const thread = parseInviteLink(viewerLink).thread

  const bob = await person(browser, viewerLink)
  await expect(bob.getByTestId('album-name')).toHaveText('Family', { timeout: 30_000 })
  await setName(bob, 'Bob')
  const carol = await person(browser, contributorLink)
  await expect(carol.getByTestId('album-name')).toHaveText('Family', { timeout: 30_000 })
  await setName(carol, 'Carol')

  // Everyone sees everyone, by the name each gave itself, with their role.
  for (const page of [alice, bob, carol]) {
    await expect(members(page)).toContainText('Bob', { timeout: 30_000 })
    await expect(members(page)).toContainText('Carol', { timeout: 30_000 })
    await expect(members(page).getByTestId('member').filter({ hasText: 'Bob' })).toContainText('viewer')
    await expect(members(page).getByTestId('member').filter({ hasText: 'Carol' })).toContainText('contributor')
  }

  // Bob is a viewer: no control to add, rename or remove, and his node refuses an attempt made around the page.
  await expect(bob.getByTestId('viewer-note')).toBeVisible()
  await expect(bob.getByRole('button', { name: 'Add photo', exact: true })).toHaveCount(0)
  await expect(bob.getByLabel('Photo title')).toHaveCount(0)
  const attempt = await askNode(bob, { type: 'photo.add', thread, title: 'Sneaked in' })
  expect(attempt).toMatchObject({ type: 'error', error: { name: 'RoleError', message: expect.stringMatching(/cannot add photos/) } })

  // Carol adds a photo; Alice and Bob see it, by Carol.
  await submitPhoto(carol, 'Carol at the lake')
  for (const page of [alice, bob]) {
    await expect(photos(page)).toContainText('Carol at the lake', { timeout: 30_000 })
    await expect(photos(page).getByRole('listitem').filter({ hasText: 'Carol at the lake' })).toContainText('by Carol')
  }
  await openPhoto(bob, 'Carol at the lake')
  await expect(bob.getByRole('dialog')).toContainText('Carol') // who added it, by name
  await expect(bob.getByRole('dialog').getByRole('button', { name: 'Edit caption' })).toHaveCount(0)
  await bob.keyboard.press('Escape')
  await expect(photos(bob)).not.toContainText('Sneaked in')

  // Alice removes Carol; Carol's app says in words that she has no access, and keeps her photo.
  alice.once('dialog', (dialog) => { void dialog.accept() })
  await alice.getByRole('button', { name: 'Remove Carol from this album' }).click()
  await expect(members(alice)).not.toContainText('Carol', { timeout: 30_000 })
  const access = carol.getByTestId('access')
  await expect(access).toHaveAttribute('data-state', 'removed', { timeout: 60_000 })
  await expect(access).toContainText('You no longer have access to this album')
  await expect(photos(carol)).toContainText('Carol at the lake')
  await expect(carol.getByRole('button', { name: 'Add photo', exact: true })).toHaveCount(0)

  // A photo Alice adds now reaches Bob, and never Carol's device.
  await submitPhoto(alice, 'After Carol left')
  await expect(photos(bob)).toContainText('After Carol left', { timeout: 60_000 })
  // Carol's node asks the follower again (its album subscription reads the node's database as it is), for a while.
  const deadline = Date.now() + 15_000
  let checks = 0
  while (Date.now() < deadline) {
    const seen = await askNode(carol, { type: 'album.subscribe', thread })
    expect(seen.type).toBe('album.subscribed')
    expect((seen.photos as Array<{ title: string }>).map((p) => p.title)).toEqual(['Carol at the lake'])
    checks++
    await carol.waitForTimeout(1000)
  }
  expect(checks).toBeGreaterThan(3)
  await expect(photos(carol)).not.toContainText('After Carol left')
})
