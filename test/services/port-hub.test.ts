/**
 * The port hub over real MessageChannels: a tab that connects while the node
 * is still being set up is answered once it is ready, a failed setup answers
 * every request with a NodeSetupError naming why, and a released port is no
 * longer served.
 */
import { describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION } from '../../src/protocol/messages.ts'
import { createRpcClient } from '../../src/protocol/rpc-client.ts'
import type { RequestHandlers } from '../../src/protocol/rpc-server.ts'
import { createPortHub } from '../../src/services/port-hub.ts'

const hello = { hello: () => ({ type: 'ready' as const, workerId: 'w1', protocol: PROTOCOL_VERSION }) } as unknown as RequestHandlers

function tab (hub: ReturnType<typeof createPortHub>) {
  const { port1, port2 } = new MessageChannel()
  const link = hub.connect(port1)
  return { link, rpc: createRpcClient({ port: port2, timeoutMs: 30_000 }) }
}

describe('port hub', () => {
  it('queues tabs that connect during setup and serves them once it is done', async () => {
    let ready: (handlers: RequestHandlers) => void = () => {}
    const hub = createPortHub({ setup: async () => await new Promise<RequestHandlers>((resolve) => { ready = resolve }) })
    const early = tab(hub)
    const answer = early.rpc.request({ type: 'hello' })
    ready(hello)
    await expect(answer).resolves.toMatchObject({ type: 'ready', workerId: 'w1' })
    const late = tab(hub)
    await expect(late.rpc.request({ type: 'hello' })).resolves.toMatchObject({ workerId: 'w1' })
    early.rpc.close()
    late.rpc.close()
  })

  it('answers every request with a NodeSetupError when setup fails, saying why', async () => {
    const hub = createPortHub({ setup: async () => { throw new RangeError('IndexedDB is full') } })
    const t = tab(hub)
    await expect(t.rpc.request({ type: 'album.list' })).rejects.toMatchObject({ name: 'NodeSetupError', message: 'The background node could not start: IndexedDB is full' })
    t.rpc.close()
  })

  it('stops serving a released port', async () => {
    const hub = createPortHub({ setup: async () => hello })
    const t = tab(hub)
    await expect(t.rpc.request({ type: 'hello' })).resolves.toMatchObject({ workerId: 'w1' })
    t.link.release()
    await expect(t.rpc.request({ type: 'hello' }, { timeoutMs: 300 })).rejects.toMatchObject({ name: 'RpcTimeoutError' })
    t.rpc.close()
  })
})
