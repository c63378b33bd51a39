/**
 * A device's own original and a real follower process: the device asks the
 * follower which of the file's blocks it holds (POST /v1/held-blocks), and
 * the original counts as confirmed, and may be evicted under pressure, only
 * once the follower holds every block of it. A stranger's question is
 * answered with no more than GET /v1/blocks/<cid> tells, is bounded (CIDs per
 * query, bytes per body) and refused by name past its limits, and the
 * follower keeps serving.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import type { CID } from 'multiformats/cid'
import { httpHeldBlocks } from '../../src/adapters/http/held-blocks.ts'
import { HELD_QUERY_LIMITS, HELD_QUERY_PATH } from '../../src/adapters/http/held-query.ts'
import { encryptMedia, mediaRefValue, type MediaBlock } from '../../src/core/media/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { createMediaStore } from '../../src/services/media-store.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { followedAlbum } from '../helpers/followed-album.ts'
import { startFollowerProcess } from '../helpers/follower-process.ts'
import { memoryMediaBlocks } from '../helpers/memory-media.ts'

const SIZE = 2 * 1024 * 1024 + 5_000 // three chunks of at most 1 MiB

describe('own originals confirmed by a follower process', { timeout: 240_000 }, () => {
  const cleanup = cleanupAfterAll()

  it('confirms an own original only once the follower holds every block of it, and answers a stranger no more than GET does', async () => {
    const follower = await startFollowerProcess(await tempDir('threads-confirm-', cleanup))
    cleanup(async () => await follower.stop())
    const url = follower.httpUrl

    // The device: its original's blocks here, its photo's record on the follower.
    const blocks = memoryMediaBlocks()
    const file: MediaBlock[] = []
    const ref = await encryptMedia([new Uint8Array(randomBytes(SIZE))], { size: SIZE, type: 'image/png', put: async (block) => { file.push(block); await blocks.blocks.put(block) } })
    const manifest = file.at(-1)!
    const chunks = file.slice(0, -1)
    expect(chunks).toHaveLength(3)
    const { album } = await followedAlbum(follower, cleanup, async (a) => {
      await a.collection('photos').create({ _id: 'harbour', title: 'Harbour', original: mediaRefValue(ref) })
    })
    let pressure = false
    const store = createMediaStore({
      blocks: blocks.blocks,
      meta: createMemoryBackend().meta,
      backups: () => [{ name: url, held: httpHeldBlocks(url) }],
      estimate: async () => ({ usage: pressure ? 100 : 0, quota: 100 })
    })
    await store.markOwn(album.id, ref)

    const push = async (block: MediaBlock): Promise<void> => {
      const response = await fetch(`${url}/v1/blocks/${block.cid.toString()}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.raw' }, body: Buffer.from(block.bytes) })
      expect(response.status).toBe(204)
    }
    // The follower holds the manifest and two chunks of three: not confirmed, and kept here under pressure.
    await push(manifest)
    await push(chunks[0]!)
    await push(chunks[1]!)
    expect(await store.confirm()).toBe(0)
    expect(await store.ownOriginals(album.id)).toEqual({ own: 1, confirmed: 0 })
    pressure = true
    expect(await store.evict()).toBe(0)
    expect(file.every((b) => blocks.has(b.cid))).toBe(true)

    // Once it holds the last chunk, the file is confirmed; under pressure it may then go from the device.
    await push(chunks[2]!)
    await vi.waitFor(async () => { expect(await store.confirm()).toBe(1) }, { timeout: 30_000, interval: 200 })
    expect(await store.ownOriginals(album.id)).toEqual({ own: 1, confirmed: 1 })
    expect(await store.evict()).toBe(1)
    expect(file.some((b) => blocks.has(b.cid))).toBe(false)

    // A stranger asking about held and unheld blocks learns, per CID, what GET's status tells: nothing more.
    const strangerBlocks: CID[] = []
    await encryptMedia([new Uint8Array(randomBytes(1000))], { size: 1000, type: 'image/png', put: (b) => { strangerBlocks.push(b.cid) } })
    const asked = [manifest.cid, strangerBlocks[0]!, chunks[2]!.cid, strangerBlocks[1]!]
    const answer = await ask(url, JSON.stringify({ cids: asked.map(String) }))
    expect(answer.status).toBe(200)
    const statuses = await Promise.all(asked.map(async (cid) => { const r = await fetch(`${url}/v1/blocks/${cid.toString()}`); await r.arrayBuffer(); return r.status }))
    expect(statuses).toEqual([200, 404, 200, 404])
    expect(await answer.json()).toEqual({ held: statuses.map((s) => s === 200) })

    // Bounded: more CIDs than a query may name, a body over its byte limit, a CID that is none, not JSON, not declared JSON.
    const tooMany = Array.from({ length: HELD_QUERY_LIMITS.maxCids + 1 }, () => manifest.cid.toString())
    await expectRefused(ask(url, JSON.stringify({ cids: tooMany })), 400, 'MalformedHeldQueryError')
    await expectRefused(ask(url, JSON.stringify({ cids: ['b'.repeat(HELD_QUERY_LIMITS.maxQueryBytes)] })), 413, 'TooLargeError')
    await expectRefused(ask(url, JSON.stringify({ cids: ['not-a-cid'] })), 400, 'BadCidError')
    await expectRefused(ask(url, '{"cids": ['), 400, 'MalformedHeldQueryError')
    await expectRefused(ask(url, JSON.stringify({ cids: [manifest.cid.toString()], extra: true })), 400, 'MalformedHeldQueryError')
    await expectRefused(ask(url, JSON.stringify({ cids: [manifest.cid.toString()] }), 'text/plain'), 415, 'UnsupportedContentTypeError')
    // Still serving, and still answering.
    expect((await fetch(`${url}/health`)).status).toBe(200)
    expect(await httpHeldBlocks(url)([manifest.cid, ...chunks.map((c) => c.cid)], {})).toEqual([true, true, true, true])
  })
})

/** A held-blocks query with `body`, as anyone may send it. */
async function ask (url: string, body: string, type = 'application/json'): Promise<Response> {
  return await fetch(`${url}${HELD_QUERY_PATH}`, { method: 'POST', headers: { 'content-type': type }, body })
}

/** Expects a refusal with `status` naming `name`. */
async function expectRefused (response: Promise<Response>, status: number, name: string): Promise<void> {
  const answered = await response
  expect(answered.status).toBe(status)
  expect(await answered.json()).toMatchObject({ name })
}
