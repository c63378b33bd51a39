/**
 * The tab's image store: an image asked for before the background node
 * answers (the album shown from the tabs' views) waits for the node instead
 * of failing, and one no longer shown before its turn is never asked of the
 * node. The node's side is a stand-in answering `photo.media` requests.
 */
import { describe, expect, it, vi } from 'vitest'
import { useImageStore } from '../../src/app/state/image-store.ts'
import { useNodeStore } from '../../src/app/state/node-store.ts'
import { PROTOCOL_VERSION } from '../../src/protocol/messages.ts'
import type { RpcClient } from '../../src/protocol/rpc-client.ts'

describe('image store', () => {
  it('waits for the node, then loads only the images still wanted', async () => {
    const asked: string[] = []
    const store = useImageStore.getState()
    store.want('album', 'p1', 'preview')
    store.want('album', 'p2', 'preview')
    store.unwant('album', 'p2', 'preview') // scrolled away before the node answered
    expect(useImageStore.getState().failed).toEqual({})

    const rpc = {
      request: async (body: { type: string, photo: string, variant: string }) => {
        asked.push(body.photo)
        return { type: 'photo.mediaData', variant: body.variant, blob: new Blob([new Uint8Array([0xff, 0xd8])], { type: 'image/jpeg' }) }
      },
      onEvent: () => () => {},
      close: () => {}
    } as unknown as RpcClient
    useNodeStore.setState({ client: { workerId: 'w', protocol: PROTOCOL_VERSION, rpc, close: () => {} }, status: { state: 'ready', workerId: 'w', protocol: PROTOCOL_VERSION } })

    await vi.waitFor(() => { expect(useImageStore.getState().urls['album/p1/preview']).toMatch(/^blob:/) })
    expect(asked).toEqual(['p1'])
    expect(useImageStore.getState().failed).toEqual({})
  })
})
