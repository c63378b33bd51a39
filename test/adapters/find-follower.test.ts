/**
 * Finding the follower from its health endpoint: the address it says is used, and
 * any other answer, from a server that may send anything, is a FollowerAddressError
 * read no further than its limit.
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { findFollower } from '../../src/adapters/http/find-follower.ts'

/** How the server answers the next request. */
let answer = (response: ServerResponse): void => { response.writeHead(404).end() }
let sentBytes = 0
const server = createServer((_request, response) => { answer(response) })
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
afterAll(async () => { await new Promise((resolve) => server.close(resolve)) })

async function ask (next: (response: ServerResponse) => void): Promise<string | Error> {
  answer = next
  return await findFollower(base, { timeoutMs: 20_000 }).catch((error: Error) => error)
}

const json = (body: unknown) => (response: ServerResponse): void => { response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)) }

describe('findFollower', () => {
  it("returns the first address the follower's health endpoint gives", async () => {
    expect(await ask(json({ ok: true, multiaddrs: ['/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWabc', '/ip4/10.0.0.1/tcp/4001/ws'] })))
      .toBe('/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWabc')
  })

  it.each([
    ['not JSON', (response: ServerResponse) => { response.writeHead(200).end('<html>hello</html>') }],
    ['no addresses', json({ ok: true, multiaddrs: [] })],
    ['an address that is not text', json({ multiaddrs: [{ evil: true }] })],
    ['JSON that is not an object', json(null)],
    ['an address too long to be one', json({ multiaddrs: ['/'.repeat(5000)] })]
  ])('refuses an answer with %s as a FollowerAddressError', async (_what, next) => {
    const error = await ask(next)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).name).toBe('FollowerAddressError')
  })

  it('stops reading an endless answer at its limit', async () => {
    sentBytes = 0
    const error = await ask((response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(16 * 1024, 0x20)
      // Keeps sending until the reader hangs up; backpressure stops it when nobody reads.
      const pump = (): void => {
        while (!response.destroyed && sentBytes < 64 * 1024 * 1024) {
          sentBytes += chunk.length
          if (!response.write(chunk)) { response.once('drain', pump); return }
        }
      }
      response.on('close', () => { response.destroy() })
      pump()
    })
    expect((error as Error).name).toBe('FollowerAddressError')
    expect((error as Error).message).toMatch(/over 65536 bytes/)
    expect(sentBytes).toBeLessThan(16 * 1024 * 1024)
  })

  it('says the follower cannot be reached when nothing listens there', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const error = await findFollower(`http://127.0.0.1:${port}`, { timeoutMs: 20_000 }).catch((e: Error) => e)
    expect((error as Error).name).toBe('FollowerAddressError')
    expect((error as Error).cause).toBeInstanceOf(Error)
  })
})
