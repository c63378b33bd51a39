/**
 * The tab↔worker link over a real MessageChannel: the version is checked on
 * the first message and a mismatch is a named error in words, whichever side
 * is older; events pushed by the worker reach the tab's listeners (and
 * nothing that is not a well-formed event does); a closed link ends what was
 * set up for it; and every request type declares whether it is safe to repeat.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { PROTOCOL_VERSION, REPLY_TYPE_OF, SAFE_TO_REPEAT, isSafeToRepeat, type NodeEvent } from '../../src/protocol/messages.ts'
import { createRpcClient, type RpcClient } from '../../src/protocol/rpc-client.ts'
import { serveRpc, type LinkContext, type RequestHandlers } from '../../src/protocol/rpc-server.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const WAIT = { timeout: 10_000, interval: 10 }
const open: Array<{ close(): void }> = []
afterEach(() => { for (const c of open.splice(0)) c.close() })

const snapshot = (thread: string, revision: number) => ({ thread, revision, name: 'Summer', photos: [], sync: { state: 'no-follower' as const, pending: 0, direct: 0 }, members: [], access: { role: 'admin' as const, state: 'member' as const } })

/** Handlers for the requests a test uses; the rest fail by name if called. */
function handlers (overrides: Partial<RequestHandlers>): RequestHandlers {
  const unused = (): never => { throw new Error('not used in this test') }
  return Object.fromEntries(Object.keys(REPLY_TYPE_OF).map((type) => [type, overrides[type as keyof RequestHandlers] ?? unused])) as unknown as RequestHandlers
}

function link (serverHandlers: RequestHandlers): { tab: RpcClient, worker: MessagePort, close(): void } {
  const { port1, port2 } = new MessageChannel()
  const server = serveRpc({ port: port1, handlers: serverHandlers })
  const tab = createRpcClient({ port: port2, timeoutMs: 10_000 })
  const pair = { tab, worker: port1, close: () => { tab.close(); server.close() } }
  open.push(pair)
  return pair
}

describe('tab↔worker link', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('refuses a tab of another protocol version by name, with a message the page can show', async () => {
    const { port1, port2 } = new MessageChannel()
    const server = serveRpc({ port: port1, handlers: handlers({ hello: () => ({ type: 'ready', workerId: 'w', protocol: PROTOCOL_VERSION }) }) })
    open.push({ close: () => { server.close(); port2.close() } })
    const replies: unknown[] = []
    port2.addEventListener('message', ({ data }) => { replies.push(data) })
    port2.start()
    port2.postMessage({ v: PROTOCOL_VERSION - 1, type: 'hello', id: 1 })
    await vi.waitFor(() => { expect(replies).toHaveLength(1) }, WAIT)
    expect(replies[0]).toMatchObject({ type: 'error', id: 1, error: { name: 'ProtocolMismatchError', message: `The background node speaks protocol v${PROTOCOL_VERSION} but the tab sent v${PROTOCOL_VERSION - 1}; reload the page` } })
  })

  it('rejects the hello of a tab whose worker answers in another version with a ProtocolMismatchError', async () => {
    const { port1, port2 } = new MessageChannel()
    // An older worker: it answers every request in its own version.
    port1.addEventListener('message', ({ data }) => { port1.postMessage({ v: PROTOCOL_VERSION - 1, type: 'ready', id: (data as { id: number }).id, workerId: 'old', protocol: PROTOCOL_VERSION - 1 }) })
    port1.start()
    const tab = createRpcClient({ port: port2 })
    open.push({ close: () => { tab.close(); port1.close() } })
    await expect(tab.request({ type: 'hello' })).rejects.toMatchObject({ name: 'ProtocolMismatchError', message: expect.stringMatching(/reload the page/) })
  })

  it('delivers the events a handler pushes, ignores malformed ones, and ends a subscription when the link closes', async () => {
    let subscribed: LinkContext | undefined
    const pair = link(handlers({
      'album.subscribe': ({ thread }, context) => {
        subscribed = context
        context.emit({ type: 'album.changed', ...snapshot(thread, 2) })
        return { type: 'album.subscribed', ...snapshot(thread, 1) }
      }
    }))
    const events: NodeEvent[] = []
    pair.tab.onEvent((event) => { events.push(event) })
    const reply = await pair.tab.request({ type: 'album.subscribe', thread: 'bafkalbum' })
    expect(reply).toMatchObject({ type: 'album.subscribed', thread: 'bafkalbum', revision: 1 })
    await vi.waitFor(() => { expect(events).toEqual([{ v: PROTOCOL_VERSION, type: 'album.changed', ...snapshot('bafkalbum', 2) }]) }, WAIT)

    // Not events: an unknown type, another version, one carrying an id, one missing its photos.
    pair.worker.postMessage({ v: PROTOCOL_VERSION, type: 'album.exploded', thread: 'x' })
    pair.worker.postMessage({ v: PROTOCOL_VERSION - 1, type: 'album.changed', ...snapshot('x', 3) })
    pair.worker.postMessage({ v: PROTOCOL_VERSION, type: 'album.changed', id: 7, ...snapshot('x', 4) })
    pair.worker.postMessage({ v: PROTOCOL_VERSION, type: 'album.changed', ...snapshot('x', 5), photos: 'none' })
    subscribed!.emit({ type: 'album.failed', thread: 'bafkalbum', error: { name: 'StoreClosedError', message: 'The store is closed' } })
    await vi.waitFor(() => { expect(events).toHaveLength(2) }, WAIT)
    expect(events[1]).toMatchObject({ type: 'album.failed', error: { name: 'StoreClosedError' } })

    expect(subscribed!.signal.aborted).toBe(false)
    pair.close()
    expect(subscribed!.signal.aborted).toBe(true)
  })

  it('declares for every request type whether it is safe to repeat; writes that add or remove are not', () => {
    expect(Object.keys(SAFE_TO_REPEAT).sort()).toEqual(Object.keys(REPLY_TYPE_OF).sort())
    expect(['photo.add', 'photo.remove', 'album.create', 'album.join'].filter(isSafeToRepeat)).toEqual([])
    expect(['hello', 'album.list', 'album.subscribe', 'photo.image', 'photo.rename'].every(isSafeToRepeat)).toBe(true)
    expect(isSafeToRepeat('constructor')).toBe(false)
    expect(isSafeToRepeat(undefined)).toBe(false)
  })
})
