/**
 * Asking a server which blocks it holds, as the device does before letting its
 * own originals go: long lists go in queries of at most 1,024 CIDs, answered
 * in order; an answer of another shape, too large, or with another status is
 * refused by name, never taken as "held". The server is a real HTTP server on
 * loopback, answering as a hostile one might.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import { httpHeldBlocks } from '../../src/adapters/http/held-blocks.ts'
import { HELD_QUERY_LIMITS, HELD_QUERY_PATH, parseHeldQuery } from '../../src/adapters/http/held-query.ts'

const closers: Array<() => Promise<void>> = []
afterEach(async () => { for (const close of closers.splice(0)) await close() })

/** A server answering each query with `answer(cids asked)`; returns its base URL. */
async function server (answer: (cids: CID[], response: ServerResponse) => void): Promise<string> {
  const http = createServer((request: IncomingMessage, response) => {
    const parts: Buffer[] = []
    request.on('data', (part: Buffer) => { parts.push(part) })
    request.on('end', () => {
      expect(request.method).toBe('POST')
      expect(request.url).toBe(HELD_QUERY_PATH)
      answer(parseHeldQuery(new Uint8Array(Buffer.concat(parts))), response)
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  closers.push(async () => { await new Promise((resolve) => { http.closeAllConnections(); http.close(resolve) }) })
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`
}

const json = (response: ServerResponse, value: unknown, status = 200): void => { response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value)) }
const cidsOf = async (n: number): Promise<CID[]> => await Promise.all(Array.from({ length: n }, async (_, i) => CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(`block ${i}`)))))

describe('asking which blocks a server holds', () => {
  it('asks a long list in queries of at most 1,024 CIDs and puts the answers together in order', async () => {
    const sizes: number[] = []
    const url = await server((cids, response) => { sizes.push(cids.length); json(response, { held: cids.map((c) => c.multihash.digest[0]! % 2 === 0) }) })
    const cids = await cidsOf(2_500)
    const held = await httpHeldBlocks(url)(cids, {})
    expect(sizes).toEqual([HELD_QUERY_LIMITS.maxCids, HELD_QUERY_LIMITS.maxCids, 2_500 - 2 * HELD_QUERY_LIMITS.maxCids])
    expect(held).toEqual(cids.map((c) => c.multihash.digest[0]! % 2 === 0))
  })

  it('refuses an answer of another length or shape, too large, or with another status, by name', async () => {
    const cids = await cidsOf(3)
    const ask = async (answer: (cids: CID[], response: ServerResponse) => void): Promise<unknown> => await httpHeldBlocks(await server(answer))(cids, {}).catch((error: unknown) => error)
    expect(await ask((c, r) => { json(r, { held: [true] }) })).toMatchObject({ name: 'MalformedHeldQueryError' })
    expect(await ask((c, r) => { json(r, { held: c.map(() => 'yes') }) })).toMatchObject({ name: 'MalformedHeldQueryError' })
    expect(await ask((c, r) => { json(r, { held: c.map(() => true), size: 12 }) })).toMatchObject({ name: 'MalformedHeldQueryError' })
    expect(await ask((c, r) => { r.writeHead(200).end('held') })).toMatchObject({ name: 'MalformedHeldQueryError' })
    expect(await ask((c, r) => { json(r, { held: c.map(() => true), pad: 'x'.repeat(HELD_QUERY_LIMITS.maxAnswerBytes) }) })).toMatchObject({ name: 'MalformedHeldQueryError' })
    expect(await ask((c, r) => { json(r, { name: 'FollowerBusyError', message: 'busy' }, 503) })).toMatchObject({ name: 'HeldQueryFailedError' })
    const closed = await server(() => {})
    await closers.pop()!()
    expect(await httpHeldBlocks(closed)(cids, {}).catch((error: unknown) => error)).toMatchObject({ name: 'HeldQueryFailedError' })
  })
})
