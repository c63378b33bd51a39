/**
 * Photos as media between two people (two browser contexts, each with its own
 * SharedWorker node, IndexedDB and Helia blockstore), with the real follower:
 * Alice adds a 30 MB PNG and a 12-megapixel JPEG at once (and a text file,
 * refused on its own in words); Bob, invited, sees
 * both thumbnails, opens a photo's preview, downloads the original and gets
 * the very bytes Alice chose (SHA-256 compared); with the follower stopped,
 * he downloads the other over the direct connection all the same. Once the
 * follower holds a photo's blocks, someone who joins gets them from it with
 * the author's browser closed. And someone who joins an album of 500 photos
 * sees every thumbnail: the grid is virtualised (only rows near the screen are
 * in the page), so the journey scrolls through it from top to bottom and waits
 * at each screen until every tile on it shows its decoded 400 px thumbnail.
 * Where SharedWorker is missing, the same works through the leading tab's node.
 *
 * The images are made in Alice's page (noise, so PNG cannot compress it, and
 * a JPEG of the camera's size) and put into the album's "Add photos" picker
 * (many files at once) as a person's choice would be.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { expect, test, type Page } from '@playwright/test'
import { createAlbum, makeInvite, openPhoto } from './fixtures/album-page.ts'
import { FOLLOWER_HTTP_PORT, startE2eFollower, type E2eFollower } from './fixtures/follower.ts'

let follower: E2eFollower
test.beforeEach(async () => { follower = await startE2eFollower() })
test.afterEach(async () => { await follower.close() })

/** Makes the two images in the page, picks them (with a text file) in "Photos to add", and returns their SHA-256 by file name. */
async function chooseGeneratedPhotos (page: Page): Promise<Record<string, string>> {
  // The picker shows once the album knows this person may add photos.
  await expect(page.locator('input[aria-label="Photos to add"]')).toBeAttached({ timeout: 30_000 })
  return await page.evaluate(async () => {
    /** A canvas of noise (xorshift, seeded): incompressible, so its PNG is as large as its pixels. */
    const noise = (width: number, height: number, seed: number): OffscreenCanvas => {
      const canvas = new OffscreenCanvas(width, height)
      const context = canvas.getContext('2d')!
      const image = context.createImageData(width, height)
      const words = new Uint32Array(image.data.buffer)
      let x = seed
      for (let i = 0; i < words.length; i++) {
        x ^= x << 13; x ^= x >>> 17; x ^= x << 5
        words[i] = (x >>> 0) | 0xff000000 // opaque
      }
      context.putImageData(image, 0, 0)
      return canvas
    }
    const png = await noise(3000, 3000, 7).convertToBlob({ type: 'image/png' })
    const camera = noise(4000, 3000, 11)
    const jpeg = await camera.convertToBlob({ type: 'image/jpeg', quality: 0.9 })
    // Among them a file that is no photo: refused on its own, the others added.
    const files = [new File([png], 'Noise.png', { type: 'image/png' }), new File(['a shopping list'], 'notes.txt', { type: 'text/plain' }), new File([jpeg], 'Camera.jpg', { type: 'image/jpeg' })]
    const input = document.querySelector<HTMLInputElement>('input[aria-label="Photos to add"]')!
    const chosen = new DataTransfer()
    for (const file of files) chosen.items.add(file)
    input.files = chosen.files
    input.dispatchEvent(new Event('change', { bubbles: true }))
    const hex = async (blob: Blob): Promise<string> => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer())), (b) => b.toString(16).padStart(2, '0')).join('')
    return { 'Noise.png': await hex(png), 'Camera.jpg': await hex(jpeg), sizes: `${png.size},${jpeg.size}` }
  })
}

/** Makes a 1600 × 1200 JPEG in the page, chooses it in "Photo file" as Window.jpg, and returns its SHA-256. */
async function chooseWindowPhoto (page: Page): Promise<string> {
  return await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(1600, 1200)
    const context = canvas.getContext('2d')!
    context.fillStyle = '#468'
    context.fillRect(0, 0, 1600, 1200)
    context.fillStyle = '#fd4'
    context.fillRect(200, 200, 600, 400)
    const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 })
    const input = document.querySelector<HTMLInputElement>('input[aria-label="Photo file"]')!
    const chosen = new DataTransfer()
    chosen.items.add(new File([jpeg], 'Window.jpg', { type: 'image/jpeg' }))
    input.files = chosen.files
    input.dispatchEvent(new Event('change', { bubbles: true }))
    return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', await jpeg.arrayBuffer())), (b) => b.toString(16).padStart(2, '0')).join('')
  })
}

/** Opens a photo in the viewer, downloads its original with "Download original" and closes the viewer; returns the SHA-256 of the file saved. */
async function downloadOriginal (page: Page, title: string): Promise<{ hash: string, name: string }> {
  await openPhoto(page, title)
  const viewer = page.getByRole('dialog')
  const download = page.waitForEvent('download', { timeout: 180_000 })
  await viewer.getByRole('button', { name: 'Download original' }).click()
  const saved = await download
  const bytes = await readFile(await saved.path())
  await page.keyboard.press('Escape')
  await expect(viewer).toHaveCount(0)
  return { hash: createHash('sha256').update(bytes).digest('hex'), name: saved.suggestedFilename() }
}

/** The album's grid: a list whose tiles are in the page only near the screen, each telling its place and the total. */
const tiles = (page: Page) => page.getByRole('list', { name: 'Photos' }).getByRole('listitem')

/**
 * Scrolls the grid from top to bottom; at each screen, waits until every tile
 * on it shows its thumbnail decoded at `width` px. A pass can step over a row
 * when the page above the grid changes height as sync words change, so passes
 * repeat until every place was seen or time runs out. Returns how many places
 * (1-based) were seen so, which must be all `total`.
 */
async function scrollThroughThumbnails (page: Page, total: number, width: number, timeoutMs: number): Promise<number> {
  const seen = new Set<number>()
  const deadline = Date.now() + timeoutMs
  // The tiles on screen now, and how many of them show a decoded thumbnail of the width asked.
  const onScreen = async (): Promise<{ shown: number[], waiting: number, why: string[], bottom: boolean }> => await page.evaluate((width) => {
    const shown: number[] = []
    // What each tile still waiting shows: its place and its image's state, for the failure's message.
    const why: string[] = []
    for (const tile of document.querySelectorAll<HTMLElement>('[role="list"][aria-label="Photos"] [role="listitem"][aria-posinset]')) {
      const box = tile.getBoundingClientRect()
      if (box.bottom <= 0 || box.top >= innerHeight) continue
      const place = tile.getAttribute('aria-posinset')
      const img = tile.querySelector('img')
      if (img !== null && img.complete && img.naturalWidth === width) shown.push(Number(place))
      else if (img !== null) why.push(`${place}: image ${img.complete ? `of ${img.naturalWidth} px` : 'decoding'}`)
      else why.push(`${place}: ${tile.querySelector('.tile-image')?.textContent === '' ? (tile.querySelector('.placeholder') === null ? 'nothing' : 'loading') : `"${tile.querySelector('.tile-image')?.textContent ?? ''}"`}`)
    }
    return { shown, waiting: why.length, why, bottom: scrollY + innerHeight >= document.documentElement.scrollHeight - 1 }
  }, width)
  while (seen.size < total && Date.now() < deadline) {
    await page.evaluate(() => { scrollTo(0, 0) })
    for (;;) {
      let screen = await onScreen()
      while (screen.waiting > 0 || screen.shown.length === 0) {
        if (Date.now() > deadline) {
          const sync = await page.getByTestId('sync-status').textContent().catch(() => 'unknown')
          throw new Error(`thumbnails still loading after ${timeoutMs} ms: ${seen.size} of ${total} seen, ${screen.waiting} waiting on screen (${screen.why.join('; ')}); sync status "${sync}"`)
        }
        await page.waitForTimeout(250)
        screen = await onScreen()
      }
      for (const place of screen.shown) seen.add(place)
      if (seen.size >= total || screen.bottom) break
      await page.evaluate(() => { scrollBy(0, Math.floor(innerHeight * 0.8)) })
    }
  }
  return seen.size
}

test('a 30 MB PNG and a 12 MP JPEG reach another person as thumbnails, previews and byte-identical originals, with or without the follower', async ({ browser }) => {
  test.setTimeout(480_000)
  const alice = await (await browser.newContext()).newPage()
  await alice.goto('/')
  await expect(alice.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
  await createAlbum(alice, 'Originals')
  await expect(alice.getByTestId('album-name')).toHaveText('Originals')
  const hashes = await chooseGeneratedPhotos(alice)
  const [pngSize] = hashes.sizes!.split(',').map(Number)
  expect(pngSize).toBeGreaterThan(30 * 1000 * 1000)
  const photos = alice.getByRole('list', { name: 'Photos' })
  await expect(photos).toContainText('Noise', { timeout: 180_000 })
  await expect(photos).toContainText('Camera', { timeout: 180_000 })
  await expect(alice.getByRole('alert')).toHaveText('notes was not added: "notes.txt" is not a photo Threads can keep (it takes JPEG, PNG, WebP, GIF, AVIF or HEIC files)')
  await expect(tiles(alice)).toHaveCount(2)
  await expect(alice.getByTestId('sync-status')).toHaveAttribute('data-pending', '0', { timeout: 60_000 })
  const link = await makeInvite(alice, 'read')

  const bob = await (await browser.newContext({ acceptDownloads: true })).newPage()
  await bob.goto(link)
  const bobPhotos = bob.getByRole('list', { name: 'Photos' })
  await expect(bobPhotos).toContainText('Camera', { timeout: 60_000 })
  // Thumbnails first: each at most 400 px on its longer side.
  for (const [title, width, height] of [['Noise', 400, 400], ['Camera', 400, 300]] as const) {
    const thumbnail = bob.getByRole('img', { name: title, exact: true })
    await expect(thumbnail).toBeVisible({ timeout: 120_000 })
    await expect.poll(async () => await thumbnail.evaluate((img: HTMLImageElement) => [img.complete, img.naturalWidth, img.naturalHeight]), { timeout: 30_000 }).toEqual([true, width, height])
  }
  // The preview on opening: display size, at most 2,048 px.
  await openPhoto(bob, 'Camera')
  const preview = bob.getByRole('dialog').getByRole('img', { name: 'Camera', exact: true })
  await expect(preview).toBeVisible({ timeout: 120_000 })
  await expect.poll(async () => await preview.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]), { timeout: 30_000 }).toEqual([2048, 1536])
  await bob.keyboard.press('Escape')

  // The original, byte for byte, under its title and type.
  expect(await downloadOriginal(bob, 'Noise')).toEqual({ hash: hashes['Noise.png'], name: 'Noise.png' })

  // Without the follower, the other original comes over the direct connection.
  await expect(bob.getByTestId('sync-status')).toHaveAttribute('data-direct', '1', { timeout: 60_000 })
  expect(await follower.process.stop()).toBe(0)
  expect(await downloadOriginal(bob, 'Camera')).toEqual({ hash: hashes['Camera.jpg'], name: 'Camera.jpg' })
  await expect(bob.getByRole('alert')).toHaveCount(0)
})

test('a person who joins an album of 500 photos sees every thumbnail', async ({ browser }) => {
  test.setTimeout(900_000)
  const PHOTOS = 500
  const alice = await (await browser.newContext()).newPage()
  await alice.goto('/')
  await expect(alice.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
  await createAlbum(alice, 'Five hundred')
  await expect(alice.getByTestId('album-name')).toHaveText('Five hundred')
  // The picker shows once the album knows this person may add photos.
  await expect(alice.locator('input[aria-label="Photos to add"]')).toBeAttached({ timeout: 30_000 })
  // Cheaply made originals of about 2 MB: one small JPEG, each copy followed by bytes of its own after the
  // image ends (which decoders ignore), so every file differs and is stored and fetched whole.
  await alice.evaluate(async (count) => {
    const canvas = new OffscreenCanvas(640, 480)
    const context = canvas.getContext('2d')!
    const gradient = context.createLinearGradient(0, 0, 640, 480)
    gradient.addColorStop(0, '#224'); gradient.addColorStop(1, '#fc8')
    context.fillStyle = gradient
    context.fillRect(0, 0, 640, 480)
    const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 })
    const tail = new Uint8Array(2 * 1024 * 1024 - jpeg.size)
    const chosen = new DataTransfer()
    for (let i = 0; i < count; i++) {
      new DataView(tail.buffer).setUint32(0, i)
      chosen.items.add(new File([jpeg, tail.slice()], `Photo ${String(i).padStart(3, '0')}.jpg`, { type: 'image/jpeg' }))
    }
    const input = document.querySelector<HTMLInputElement>('input[aria-label="Photos to add"]')!
    input.files = chosen.files
    input.dispatchEvent(new Event('change', { bubbles: true }))
  }, PHOTOS)
  // The batch's progress shows while it runs and clears itself once every file went in.
  await expect(alice.getByTestId('upload-total')).toBeVisible()
  await expect(alice.getByTestId('upload-total')).toHaveCount(0, { timeout: 600_000 })
  await expect(tiles(alice).first()).toHaveAttribute('aria-setsize', String(PHOTOS))
  await expect(alice.getByRole('alert')).toHaveCount(0)
  await expect(alice.getByTestId('sync-status')).toHaveAttribute('data-pending', '0', { timeout: 120_000 })
  const link = await makeInvite(alice, 'read')

  const bob = await (await browser.newContext()).newPage()
  await bob.goto(link)
  await expect(tiles(bob).first()).toHaveAttribute('aria-setsize', String(PHOTOS), { timeout: 180_000 })
  // Every thumbnail shown and decoded, screen by screen down the virtualised grid.
  expect(await scrollThroughThumbnails(bob, PHOTOS, 400, 300_000)).toBe(PHOTOS)
  await expect(bob.getByRole('alert')).toHaveCount(0)
})

test('once the follower holds a photo\'s blocks, a person who joins gets them with its author gone', async ({ browser }) => {
  test.setTimeout(240_000)
  const aliceContext = await browser.newContext()
  const alice = await aliceContext.newPage()
  await alice.goto('/')
  await expect(alice.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
  await createAlbum(alice, 'Kept by the follower')
  await expect(alice.getByTestId('album-name')).toHaveText('Kept by the follower')
  const hashes = await chooseWindowPhoto(alice)
  await alice.getByRole('button', { name: 'Add photo', exact: true }).click()
  await expect(alice.getByRole('list', { name: 'Photos' })).toContainText('Window', { timeout: 60_000 })
  await expect(alice.getByTestId('sync-status')).toHaveAttribute('data-pending', '0', { timeout: 60_000 })
  const link = await makeInvite(alice, 'read')
  // The follower fetches the three files (original, preview, thumbnail) from Alice and holds them whole.
  await expect.poll(async () => {
    const health = await (await fetch(`http://127.0.0.1:${FOLLOWER_HTTP_PORT}/health`)).json() as { media?: { kept: number, complete: number } }
    return health.media
  }, { timeout: 60_000 }).toMatchObject({ kept: 3, complete: 3 })
  // Alice's page says in words that the original she added is held by a backup server, not only by her device.
  await expect(alice.getByTestId('own-originals')).toHaveText('The original you added here is held by a backup server.', { timeout: 60_000 })
  await aliceContext.close()

  const bob = await (await browser.newContext({ acceptDownloads: true })).newPage()
  await bob.goto(link)
  const thumbnail = bob.getByRole('img', { name: 'Window', exact: true })
  await expect(thumbnail).toBeVisible({ timeout: 60_000 })
  await expect.poll(async () => await thumbnail.evaluate((img: HTMLImageElement) => [img.complete, img.naturalWidth]), { timeout: 30_000 }).toEqual([true, 400])
  expect(await downloadOriginal(bob, 'Window')).toEqual({ hash: hashes, name: 'Window.jpg' })
  await expect(bob.getByTestId('sync-status')).toHaveAttribute('data-direct', '0')
  // The page says what this site stores, and the album's choice to keep its originals holds.
  await expect(bob.getByTestId('media-storage')).toContainText(/This site stores \d+ MB of [\d.]+ GB/)
  // The box shows the node's answer (the album's report), which comes a moment after the click.
  await bob.getByLabel('Keep originals on this device').click()
  await expect(bob.getByLabel('Keep originals on this device')).toBeChecked({ timeout: 30_000 })
  await bob.reload()
  await expect(bob.getByLabel('Keep originals on this device')).toBeChecked({ timeout: 30_000 })
  await expect(bob.getByRole('alert')).toHaveCount(0)
})

test('without SharedWorker, photos are added and fetched through the leading tab\'s node', async ({ browser }) => {
  test.setTimeout(180_000)
  const fallback = async (): Promise<Page> => {
    const context = await browser.newContext({ acceptDownloads: true })
    await context.addInitScript(() => { Reflect.deleteProperty(globalThis, 'SharedWorker') })
    return await context.newPage()
  }
  const alice = await fallback()
  await alice.goto('/')
  await expect(alice.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
  // A second tab of Alice's relays to the leader: the file crosses the channel between the workers.
  const aliceAgain = await alice.context().newPage()
  await aliceAgain.goto('/')
  await expect(aliceAgain.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
  await createAlbum(aliceAgain, 'Fallback media')
  await expect(aliceAgain.getByTestId('album-name')).toHaveText('Fallback media')
  const hash = await chooseWindowPhoto(aliceAgain)
  await aliceAgain.getByRole('button', { name: 'Add photo', exact: true }).click()
  await expect(aliceAgain.getByRole('img', { name: 'Window', exact: true })).toBeVisible({ timeout: 60_000 })
  await expect(aliceAgain.getByRole('alert')).toHaveCount(0)
  const link = await makeInvite(aliceAgain, 'read')
  const bob = await fallback()
  await bob.goto(link)
  const thumbnail = bob.getByRole('img', { name: 'Window', exact: true })
  await expect(thumbnail).toBeVisible({ timeout: 60_000 })
  await expect.poll(async () => await thumbnail.evaluate((img: HTMLImageElement) => [img.complete, img.naturalWidth]), { timeout: 30_000 }).toEqual([true, 400])
  expect(await downloadOriginal(bob, 'Window')).toEqual({ hash, name: 'Window.jpg' })
})
