/**
 * Malformed path parameters on the follower's HTTP side: a CID that is no
 * CID, or no CID this follower could hold, is a 400 `BadCidError` in words
 * (never a 500, never a crash), for every method of the blocks endpoint, and
 * so is such a CID in a held-blocks query, and an unknown path is a 404
 * `EndpointNotFoundError`; the follower keeps
 * serving after each.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readConfig } from '../../follower/config.ts'
import { startFollower, type Follower } from '../../follower/follower.ts'

describe('malformed path parameters on the follower\'s HTTP side', { timeout: 120_000 }, () => {
  let dir: string
  let follower: Follower

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'threads-http-paths-'))
    follower = await startFollower(readConfig(['--port', '0', '--http-port', '0', '--data', dir], {}))
  })
  afterAll(async () => {
    await follower.stop()
    await rm(dir, { recursive: true, force: true })
  })

  /** Not CIDs, or CIDs no media block or pack can have (identity hash, CIDv0 spelt in base32, unknown codec). */
  const malformed = [
    'zzz',
    'bafy',
    'b',
    'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'.slice(0, 40),
    'bafkqaaa',
    'q'.repeat(200),
    '0',
    'f01711220' + '0'.repeat(10)
  ]

  for (const method of ['GET', 'HEAD', 'PUT'] as const) {
    it(`${method} /v1/blocks/<malformed>: 400 BadCidError, and the follower serves on`, async () => {
      for (const cid of malformed) {
        const response = await fetch(`${follower.httpUrl}/v1/blocks/${cid}`, method === 'PUT'
          ? { method, headers: { 'content-type': 'application/vnd.ipld.raw' }, body: new Uint8Array(10) }
          : { method })
        expect(response.status, `${method} ${cid}`).toBe(400)
        if (method !== 'HEAD') expect(((await response.json()) as { name: string }).name, `${method} ${cid}`).toBe('BadCidError')
      }
      expect((await fetch(`${follower.httpUrl}/health`)).status).toBe(200)
    })
  }

  it('a well-formed CID of a block not held: GET 404 BlockNotFoundError, HEAD 404', async () => {
    const cid = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    const got = await fetch(`${follower.httpUrl}/v1/blocks/${cid}`)
    expect(got.status).toBe(404)
    expect(((await got.json()) as { name: string }).name).toBe('BlockNotFoundError')
    expect((await fetch(`${follower.httpUrl}/v1/blocks/${cid}`, { method: 'HEAD' })).status).toBe(404)
  })

  it('POST /v1/held-blocks naming a CID that is none, or none a media block can have: 400 BadCidError', async () => {
    for (const cid of malformed) {
      const response = await fetch(`${follower.httpUrl}/v1/held-blocks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cids: ['bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', cid] }) })
      expect(response.status, cid).toBe(400)
      expect(((await response.json()) as { name: string }).name, cid).toBe('BadCidError')
    }
  })

  it('unknown or malformed paths: 404 EndpointNotFoundError', async () => {
    for (const path of ['/v1/blocks/', '/v1/blocks/%00', '/v1/blocks/bafy/x', '/v1/sync/x', '/health/x', '/%ff', '/v1/blocks/' + 'a'.repeat(5000)]) {
      const response = await fetch(`${follower.httpUrl}${path}`)
      expect(response.status, path).toBe(404)
      expect(((await response.json()) as { name: string }).name, path).toBe('EndpointNotFoundError')
    }
  })
})
