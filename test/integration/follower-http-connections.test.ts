/**
 * The follower's HTTP connections against a real follower process with small
 * limits, as a stranger meets them: idle connections from one address and
 * from many (each holds a file descriptor the process shares with libp2p and
 * its databases), and requests pipelined on a connection that reads none of
 * the answers. Past a limit a connection is answered in words and closed;
 * the one that reads nothing is closed before it buffers much; an honest
 * client syncs throughout.
 */
import { connect, type Socket } from 'node:net'
import { readFile } from 'node:fs/promises'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { honestHttpSync } from '../helpers/honest-http-sync.ts'
import { startFollowerProcess, type FollowerProcess } from '../helpers/follower-process.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const WAIT = { timeout: 30_000, interval: 50 }
const PER_IP = 6
const IN_ALL = 20

describe('HTTP connections of a real follower', { timeout: 120_000 }, () => {
  const cleanup = cleanupAfterAll()
  let follower: FollowerProcess
  let port: number
  const sockets: Socket[] = []

  beforeAll(async () => {
    follower = await startFollowerProcess(await tempDir('threads-http-connections-', cleanup), {
      flags: ['--max-connections', String(IN_ALL), '--max-connections-per-ip', String(PER_IP), '--retry-after-seconds', '2']
    })
    port = Number(new URL(follower.httpUrl).port)
    cleanup(async () => await follower.stop())
  }, LOADED_MACHINE_TIMEOUT_MS)
  afterEach(() => { for (const socket of sockets.splice(0)) socket.destroy() })

  /** A raw connection from `from` (any 127.x.y.z is this machine); `answers` is all it has read. */
  const open = async (from = '127.0.0.1'): Promise<{ socket: Socket, answers: () => string, closed: () => boolean }> => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from })
    sockets.push(socket)
    let answers = ''
    let closed = false
    socket.on('data', (chunk: Buffer) => { answers += chunk.toString('latin1') })
    socket.on('error', () => {})
    socket.on('close', () => { closed = true })
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve).once('error', reject) })
    return { socket, answers: () => answers, closed: () => closed }
  }
  const health = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
  const refusalIn = (answer: string): unknown => JSON.parse(answer.slice(answer.indexOf('{'), answer.lastIndexOf('}') + 1))

  const honestSyncs = async (): Promise<void> => { await honestHttpSync(follower.httpUrl) }

  it('answers a connection past one address\'s share 429 in words and closes it, while other addresses are served', async () => {
    const idle: Array<Awaited<ReturnType<typeof open>>> = []
    for (let i = 0; i < PER_IP; i++) idle.push(await open('127.0.0.3'))
    const extra = await open('127.0.0.3')
    extra.socket.write(health)
    await vi.waitFor(() => { expect(extra.closed()).toBe(true) }, WAIT)
    expect(extra.answers()).toMatch(/^HTTP\/1\.1 429 /)
    expect(extra.answers()).toMatch(/\r\nretry-after: 2\r\n/i)
    expect(refusalIn(extra.answers())).toMatchObject({ name: 'TooManyRequestsError', message: expect.stringContaining('127.0.0.3') })
    // The address's idle connections still work, and another address is served.
    idle[0]!.socket.write(health)
    await vi.waitFor(() => { expect(idle[0]!.answers()).toMatch(/^HTTP\/1\.1 200 [^]*"ok":true/) }, WAIT)
    await honestSyncs()
  })

  it('answers a connection past everyone\'s 503 in words and closes it; once connections go, new ones are served', async () => {
    // Idle connections from several addresses, each within its share, until the follower holds all it may.
    for (let i = 0; i < IN_ALL; i++) await open(`127.0.1.${1 + Math.floor(i / PER_IP)}`)
    const extra = await open('127.0.2.1')
    extra.socket.write(health)
    await vi.waitFor(() => { expect(extra.closed()).toBe(true) }, WAIT)
    expect(extra.answers()).toMatch(/^HTTP\/1\.1 503 /)
    expect(refusalIn(extra.answers())).toMatchObject({ name: 'FollowerBusyError', message: expect.stringContaining(`${IN_ALL} HTTP connections`) })
    for (const socket of sockets.splice(0)) socket.destroy()
    await vi.waitFor(async () => { expect((await fetch(`${follower.httpUrl}/health`)).status).toBe(200) }, WAIT)
    await honestSyncs()
  })

  it('closes a connection that pipelines requests and reads none of the answers, before it has queued much', async () => {
    const rssOf = async (): Promise<number> => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${follower.child.pid}/status`, 'utf8'))?.[1]) * 1024
    const before = await rssOf()
    const greedy = await open()
    greedy.socket.pause() // reads nothing
    const burst = health.repeat(1000)
    const started = Date.now()
    // Bounded: until the follower closes it, 20 s, or 40 MB of requests, whichever comes first.
    while (!greedy.closed() && Date.now() - started < 20_000 && greedy.socket.bytesWritten < 40 * 1024 * 1024) {
      if (!greedy.socket.write(burst)) {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 500)
          greedy.socket.once('drain', () => { clearTimeout(timer); resolve(undefined) })
        })
      }
    }
    await vi.waitFor(() => { expect(greedy.closed()).toBe(true) }, WAIT)
    expect(await rssOf() - before).toBeLessThan(32 * 1024 * 1024)
    await honestSyncs()
  })
})
