/**
 * The shared album across two people (two browser contexts, each with its own
 * SharedWorker node and IndexedDB), syncing through the real follower: one
 * creates an album and a photo and shares an invite link; the other opens the
 * link, sees the photo, adds one; the first sees it arrive.
 */
import { expect, test, type Page } from '@playwright/test'
import { httpSyncTransport } from '../src/adapters/http/sync-transport.ts'
import { openDatabase } from '../src/core/db/index.ts'
import { createMemoryBackend } from '../src/core/storage/memory.ts'
import { syncThread } from '../src/core/sync/engine.ts'
import { parseInviteLink } from '../src/core/sync/invite.ts'
import { createAlbum, makeInvite, openPhoto, renamePhoto, submitPhoto } from './fixtures/album-page.ts'
import { FOLLOWER_HTTP_PORT, startE2eFollower, type E2eFollower } from './fixtures/follower.ts'

let follower: E2eFollower
test.beforeAll(async () => { follower = await startE2eFollower() })
test.afterAll(async () => { await follower.close() })

async function ready (page: Page): Promise<void> {
  await page.goto('/')
  await expect(page.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
}

test('two people share an album through an invite link', async ({ browser }) => {
  test.setTimeout(90_000)
  const alice = await (await browser.newContext()).newPage()
  await ready(alice)
  await createAlbum(alice, 'Summer')
  await expect(alice.getByTestId('album-name')).toHaveText('Summer')
  await alice.getByLabel('Photo title').fill('Beach at dawn')
  await alice.getByLabel('Photo file').setInputFiles('public/pwa-512x512.png')
  await alice.getByRole('button', { name: 'Add photo', exact: true }).click()
  await expect(alice.getByRole('list', { name: 'Photos' })).toContainText('Beach at dawn')
  await expect(alice.getByRole('img', { name: 'Beach at dawn', exact: true })).toBeVisible()
  await expect(alice.getByRole('alert')).toHaveCount(0) // no error shown
  await expect(alice.getByTestId('sync-status')).toHaveAttribute('data-state', 'synced', { timeout: 20_000 })
  await expect(alice.getByTestId('sync-status')).toHaveAttribute('data-pending', '0')

  const link = await makeInvite(alice, 'write')
  expect(new URL(link).hash).toMatch(/^#invite=/)

  const bob = await (await browser.newContext()).newPage()
  await bob.goto(link)
  await expect(bob.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
  await expect(bob.getByTestId('album-name')).toHaveText('Summer', { timeout: 20_000 })
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('Beach at dawn', { timeout: 20_000 })
  // The thumbnail came with the photo, and the browser decodes it at its size (the 512 px original scaled to 400).
  const image = bob.getByRole('img', { name: 'Beach at dawn', exact: true })
  await expect(image).toBeVisible({ timeout: 30_000 })
  await expect.poll(async () => await image.evaluate((img: HTMLImageElement) => [img.complete, img.naturalWidth, img.naturalHeight]), { timeout: 30_000 }).toEqual([true, 400, 400])
  expect(new URL(bob.url()).hash).toBe('') // the keys left the address bar
  await submitPhoto(bob, 'Dunes')
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('Dunes')

  // Alice's periodic sync is a minute away: Dunes arrives because Bob announced it on the album's topic.
  await expect(alice.getByRole('list', { name: 'Photos' })).toContainText('Dunes', { timeout: 30_000 })
  await expect(bob.getByRole('alert')).toHaveCount(0)

  // A contributor edits the photos they added (not others'); the owner, an admin, edits any.
  await openPhoto(bob, 'Beach at dawn')
  await expect(bob.getByRole('dialog').getByRole('button', { name: 'Edit caption' })).toHaveCount(0)
  await bob.keyboard.press('Escape')
  await renamePhoto(alice, 'Beach at dawn', 'Beach at sunrise')
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('Beach at sunrise', { timeout: 30_000 })
  await expect(bob.getByRole('img', { name: 'Beach at sunrise', exact: true })).toBeVisible() // the image stays with the photo
  await renamePhoto(bob, 'Dunes', 'Dunes at noon')
  await expect(alice.getByRole('list', { name: 'Photos' })).toContainText('Dunes at noon', { timeout: 30_000 })
  alice.once('dialog', (dialog) => { void dialog.accept() })
  await openPhoto(alice, 'Dunes at noon')
  await alice.getByRole('button', { name: 'Remove photo' }).click()
  await expect(alice.getByRole('dialog')).toHaveCount(0)
  await expect(bob.getByRole('list', { name: 'Photos' })).not.toContainText('Dunes', { timeout: 30_000 })
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('Beach at sunrise')
})

test('photos added while the follower is unreachable are kept, counted and sent when it is back', async ({ browser }) => {
  test.setTimeout(90_000)
  const alice = await (await browser.newContext()).newPage()
  await ready(alice)
  await createAlbum(alice, 'Offline trip')
  await submitPhoto(alice, 'Before')
  const status = alice.getByTestId('sync-status')
  // The photo is written (the click only starts it), then synced with nothing waiting.
  await expect(alice.getByRole('list', { name: 'Photos' })).toContainText('Before', { timeout: 20_000 })
  await expect(status).toHaveAttribute('data-state', 'synced', { timeout: 20_000 })
  await expect(status).toHaveAttribute('data-pending', '0', { timeout: 20_000 })

  await follower.proxy.cut()
  for (const title of ['Cabin', 'Lake']) {
    await submitPhoto(alice, title)
  }
  await expect(alice.getByRole('list', { name: 'Photos' })).toContainText('Lake', { timeout: 20_000 }) // still usable offline
  await expect(status).toHaveAttribute('data-state', 'offline', { timeout: 20_000 })
  await expect(status).toHaveAttribute('data-pending', '2', { timeout: 20_000 })
  await expect(status).toContainText('2 changes waiting to send')

  await follower.proxy.restore()
  await expect(status).toHaveAttribute('data-state', 'synced', { timeout: 30_000 })
  await expect(status).toHaveAttribute('data-pending', '0')

  // Someone who joins now gets the photos from the follower.
  const invite = await makeInvite(alice, 'write')
  const bob = await (await browser.newContext()).newPage()
  await bob.goto(invite)
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('Cabin', { timeout: 20_000 })
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('Lake')
})

test('a file that is not an image is refused in words, and nothing is added', async ({ page }) => {
  await ready(page)
  await createAlbum(page, 'Careful')
  await page.getByLabel('Photo title').fill('Not a photo')
  await page.getByLabel('Photo file').setInputFiles({ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('these are words, not pixels') })
  await page.getByRole('button', { name: 'Add photo', exact: true }).click()
  await expect(page.getByRole('alert')).toHaveText('This browser cannot read "notes.jpg": the file may be damaged')
  await expect(page.getByRole('list', { name: 'Photos' })).not.toContainText('Not a photo')
})

test('photos still waiting when the last tab closes are sent by the service worker', async ({ browser }) => {
  test.setTimeout(120_000)
  const context = await browser.newContext()
  const alice = await context.newPage()
  await ready(alice)
  await alice.evaluate(async () => { await navigator.serviceWorker.ready })
  await createAlbum(alice, 'Sent later')
  await submitPhoto(alice, 'Before')
  const status = alice.getByTestId('sync-status')
  // The photo is written (the click only starts it), then synced with nothing waiting.
  await expect(alice.getByRole('list', { name: 'Photos' })).toContainText('Before', { timeout: 20_000 })
  await expect(status).toHaveAttribute('data-state', 'synced', { timeout: 20_000 })
  await expect(status).toHaveAttribute('data-pending', '0', { timeout: 20_000 })
  const link = await makeInvite(alice, 'write')
  const invite = parseInviteLink(link)
  const http = httpSyncTransport(`http://127.0.0.1:${FOLLOWER_HTTP_PORT}`)
  // The follower shows a thread's heads to its members only: the test looks through a member of its own, joined with the link.
  const probe = openDatabase({ backend: createMemoryBackend() })
  await probe.acceptInvite(invite)
  const heads = async (): Promise<Array<{ log: string, seq: number, record: string }> | undefined> => {
    const proof = await probe.syncReplica().pullProof!(invite.thread, Date.now())
    const answer = await http.request({ v: 2, type: 'heads', thread: invite.thread, proof: proof! })
    return answer.type === 'heads' ? [...answer.heads] : undefined
  }
  const followerSeq = async (): Promise<number> => (await heads())?.find((h) => h.log === invite.via.log)?.seq ?? -1
  // The invite record goes to the follower at once; wait until it holds it (the probe's join is taken then), so what waits below is the photos alone.
  const followerHead = async (): Promise<string | undefined> => {
    const joined = await syncThread({ thread: invite.thread, replica: probe.syncReplica(), transport: http }).then(() => true, () => false)
    return joined ? (await heads())?.find((h) => h.log === invite.via.log)?.record : undefined
  }
  await expect.poll(followerHead, { timeout: 20_000 }).toBe(invite.via.record)
  const before = await followerSeq()
  expect(before).toBeGreaterThan(0)

  // The node loses the follower (libp2p through the proxy); two photos wait; then the only tab closes.
  await follower.proxy.cut()
  for (const title of ['Queued one', 'Queued two']) {
    await submitPhoto(alice, title)
  }
  await expect(status).toHaveAttribute('data-pending', '2', { timeout: 20_000 })
  await expect(status).toHaveAttribute('data-state', 'offline', { timeout: 20_000 })
  await alice.close()

  // No tab, no node, no libp2p: the service worker pushes them over HTTP.
  await expect.poll(followerSeq, { timeout: 60_000 }).toBe(before + 2)
  await follower.proxy.restore()
  const bob = await (await browser.newContext()).newPage()
  await bob.goto(link)
  await expect(bob.getByRole('list', { name: 'Photos' })).toContainText('Queued two', { timeout: 30_000 })
})
