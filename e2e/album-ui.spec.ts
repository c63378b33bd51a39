/**
 * The album as people use it, against the production build and the real
 * follower: Alice creates an album and adds 50 photos in one pick (one file
 * that is not an image is refused in words while the rest go in), looks
 * through them in the viewer with the keyboard, and invites Bob with the Copy
 * button; Bob, on a phone, joins and sees the photos by Alice's name and the
 * album's activity. Every screen passes an automated accessibility check
 * (axe-core, WCAG 2.2 AA). With UPDATE_SCREENSHOTS=1 it also saves the
 * screenshots shown in the README (docs/screenshots/).
 */
import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Locator, type Page } from '@playwright/test'
import { copyInvite, createAlbum, openPhoto, pickPhotos, samplePhotos, setName } from './fixtures/album-page.ts'
import { startE2eFollower, type E2eFollower } from './fixtures/follower.ts'

let follower: E2eFollower
test.beforeAll(async () => { follower = await startE2eFollower() })
test.afterAll(async () => { await follower.close() })

const SHOTS = process.env.UPDATE_SCREENSHOTS === '1'

/** Saves a screenshot of the page (or of one part of it) for the docs when asked to. */
async function shot (page: Page | Locator, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: `docs/screenshots/${name}.png` })
}

/** Runs axe-core over the page as it is; every WCAG 2.x A and AA rule must pass. */
async function accessible (page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze()
  expect(violations.map((v) => `${what}: ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([])
}

test('create an album, add 50 photos at once, view them with the keyboard, invite someone who joins on a phone', async ({ browser }) => {
  test.setTimeout(240_000)
  const aliceContext = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'], viewport: { width: 1280, height: 800 } })
  const alice = await aliceContext.newPage()
  await alice.goto('/')
  await expect(alice.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
  await setName(alice, 'Alice')
  await accessible(alice, 'home')

  await createAlbum(alice, 'Summer by the sea')
  await expect(alice.getByTestId('album-name')).toHaveText('Summer by the sea')
  const files = await samplePhotos(alice, 50, 'Seaside')
  const notAnImage = { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('these are words, not pixels') }
  await pickPhotos(alice, [...files.slice(0, 25), notAnImage, ...files.slice(25)])
  // The total moves, the refusal is said in words, and the other 50 go in.
  await expect(alice.getByRole('alert')).toContainText('notes was not added: This browser cannot read "notes.jpg": the file may be damaged', { timeout: 120_000 })
  await expect(alice.getByTestId('upload-total')).toHaveText('Added 50 of 51 photos', { timeout: 120_000 })
  await expect(alice.getByTestId('photo-count')).toHaveText('50 photos')
  await expect(alice.getByRole('img', { name: 'Seaside 50', exact: true })).toBeVisible()
  await expect(alice.getByRole('list', { name: 'Photos' }).getByRole('listitem').first()).toContainText('by Alice')
  await alice.getByRole('button', { name: 'Done' }).click()
  await expect(alice.getByTestId('sync-status')).toHaveText(/Up to date/, { timeout: 60_000 })
  await accessible(alice, 'album')
  await shot(alice, 'album-desktop')

  // The viewer: newest first, → and ← move, Esc closes and gives focus back to the grid.
  await openPhoto(alice, 'Seaside 50')
  const viewer = alice.getByRole('dialog')
  await expect(viewer.getByRole('img', { name: 'Seaside 50', exact: true })).toBeVisible()
  await expect(viewer).toContainText('1 of 50')
  await alice.keyboard.press('ArrowRight')
  await expect(viewer).toContainText('2 of 50')
  await expect(viewer.getByRole('img', { name: 'Seaside 49', exact: true })).toBeVisible()
  await alice.keyboard.press('ArrowRight')
  await alice.keyboard.press('ArrowLeft')
  await expect(viewer).toContainText('2 of 50')
  await expect(viewer).toContainText('Added by')
  await expect(viewer).toContainText(/640 × 480 px/)
  await accessible(alice, 'viewer')
  await shot(alice, 'viewer-desktop')
  await alice.keyboard.press('Escape')
  await expect(viewer).toHaveCount(0)

  const link = await copyInvite(alice, 'write')
  await accessible(alice, 'members')

  // Bob, on a phone, opens the link.
  const bobContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
  const bob = await bobContext.newPage()
  await bob.goto(link)
  await expect(bob.getByTestId('album-name')).toHaveText('Summer by the sea', { timeout: 30_000 })
  await expect(bob.getByTestId('photo-count')).toHaveText('50 photos', { timeout: 60_000 })
  await expect(bob.getByRole('img', { name: 'Seaside 50', exact: true })).toBeVisible({ timeout: 30_000 })
  await expect(bob.getByRole('list', { name: 'Photos' }).getByRole('listitem').first()).toContainText('by Alice')
  await expect(bob.getByTestId('sync-status')).toHaveText(/Up to date/, { timeout: 60_000 })
  await accessible(bob, 'album on a phone')
  await shot(bob, 'album-phone')

  await bob.getByRole('button', { name: 'People' }).click()
  await setName(bob, 'Bob')
  const members = bob.getByRole('list', { name: 'Members' })
  await expect(members.getByTestId('member').filter({ hasText: 'Alice' })).toContainText('owner')
  await expect(members.getByTestId('member').filter({ hasText: 'Bob' })).toContainText('contributor')
  await accessible(bob, 'members on a phone')
  await shot(bob, 'members-phone')
  await expect(alice.getByRole('list', { name: 'Members' }).getByTestId('member').filter({ hasText: 'Bob' })).toContainText('contributor', { timeout: 30_000 })
  await shot(alice, 'members-desktop')

  // The picture of the logs: Alice's and Bob's logs, Bob's join linked to Alice's invite.
  await alice.getByText('Picture of the logs').click()
  await expect(alice.getByRole('img', { name: /^2 logs, \d+ records in causal order, [1-9]\d* links? between logs; all sent\.$/ })).toBeVisible({ timeout: 30_000 })
  await accessible(alice, 'picture of the logs')
  await shot(alice.locator('.activity'), 'activity-and-logs')

  await bob.getByRole('button', { name: 'Activity' }).click()
  const activity = bob.getByRole('list', { name: 'Activity' })
  await expect(activity).toContainText('Alice added 50 photos')
  await expect(activity).toContainText('Bob joined', { timeout: 30_000 })
  await expect(activity).toContainText('Alice made an invite link for a contributor')

  // The viewer on a phone: swiping left shows the next photo.
  await bob.getByRole('button', { name: 'Photos' }).click()
  await openPhoto(bob, 'Seaside 50')
  const bobViewer = bob.getByRole('dialog')
  await expect(bobViewer.getByRole('img', { name: 'Seaside 50', exact: true })).toBeVisible({ timeout: 30_000 })
  const stage = await bobViewer.locator('.viewer-stage').boundingBox()
  if (stage === null) throw new Error('the viewer has no stage')
  const y = stage.y + stage.height / 2
  await bob.mouse.move(stage.x + stage.width * 0.8, y)
  await bob.mouse.down()
  await bob.mouse.move(stage.x + stage.width * 0.2, y, { steps: 5 })
  await bob.mouse.up()
  await expect(bobViewer).toContainText('2 of 50')
  await accessible(bob, 'viewer on a phone')
  await shot(bob, 'viewer-phone')
  await bob.keyboard.press('Escape')

  await bob.getByRole('button', { name: 'Albums' }).click()
  await expect(bob.getByRole('list', { name: 'Albums' })).toContainText('50 photos')
  await accessible(bob, 'home on a phone')
  await shot(bob, 'home-phone')
  await alice.getByRole('button', { name: 'Albums' }).click()
  await expect(alice.getByRole('list', { name: 'Albums' })).toContainText('Summer by the sea')
  await expect(alice.getByRole('list', { name: 'Albums' }).getByRole('img')).toHaveCount(0) // the cover is decoration: the name says which album
  await shot(alice, 'home-desktop')
  await aliceContext.close()
  await bobContext.close()
})
