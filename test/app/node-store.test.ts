/**
 * The tab's node store against a worker of another protocol version, over a
 * real MessageChannel: connecting fails with a ProtocolMismatchError whose
 * message the status line shows as it is, telling the user to reload.
 */
import { describe, expect, it } from 'vitest'
import { createNodeStore } from '../../src/app/state/node-store.ts'
import { PROTOCOL_VERSION } from '../../src/protocol/messages.ts'
import { createRpcClient } from '../../src/protocol/rpc-client.ts'

describe('node store', () => {
  it('shows a protocol mismatch with the worker in words', async () => {
    const { port1, port2 } = new MessageChannel()
    // A worker from a later deploy: it answers in the next version.
    port1.addEventListener('message', ({ data }) => {
      const { id } = data as { id: number }
      port1.postMessage({ v: PROTOCOL_VERSION + 1, type: 'ready', id, workerId: 'next', protocol: PROTOCOL_VERSION + 1 })
    })
    port1.start()
    const store = createNodeStore({
      connect: async () => {
        const rpc = createRpcClient({ port: port2 })
        const ready = await rpc.request({ type: 'hello' })
        return { workerId: ready.workerId, protocol: ready.protocol, rpc, close: () => { rpc.close() } }
      }
    })
    await store.getState().connect()
    expect(store.getState().status).toEqual({
      state: 'failed',
      error: { name: 'ProtocolMismatchError', message: `This tab speaks protocol v${PROTOCOL_VERSION} but the background node answered with v${PROTOCOL_VERSION + 1}; reload the page` }
    })
    port1.close()
    port2.close()
  })
})
