/**
 * The tab's image store: an image asked for before the background node
 * answers (the album shown from the tabs' views) waits for the node instead
 * of failing, and one no longer shown before its turn is never asked of the
 * node. An image that failed to load for want of an answer is asked for again
 * while shown; one the node says will never come is not. The node's side is a
 * stand-in answering `photo.media` requests.
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

  it('asks again for an image that failed for want of an answer, not for one of a photo that is gone', async () => {
    const asked: string[] = []
    const rpc = {
      request: async (body: { type: string, photo: string, variant: string }) => {
        asked.push(body.photo)
        if (body.photo === 'gone') throw Object.assign(new Error('There is no photo gone in this album'), { name: 'PhotoNotFoundError' })
        // The first ask finds no peer holding the blocks in time; the next does.
        if (body.photo === 'late' && asked.filter((p) => p === 'late').length === 1) throw Object.assign(new Error('No peer gave the block in time'), { name: 'TimeoutError' })
        return { type: 'photo.mediaData', variant: body.variant, blob: new Blob([new Uint8Array([0xff, 0xd8])], { type: 'image/jpeg' }) }
      },
      onEvent: () => () => {},
      close: () => {}
    } as unknown as RpcClient
    useNodeStore.setState({ client: { workerId: 'w', protocol: PROTOCOL_VERSION, rpc, close: () => {} }, status: { state: 'ready', workerId: 'w', protocol: PROTOCOL_VERSION } })
    const store = useImageStore.getState()
    store.want('album', 'late', 'preview')
    store.want('album', 'gone', 'preview')
    await vi.waitFor(() => { expect(useImageStore.getState().failed).toEqual({ 'album/late/preview': true, 'album/gone/preview': true }) })
    // A tile still shown asks again once its failure is cleared (the grid's effect does this on each change).
    await vi.waitFor(() => { expect(useImageStore.getState().failed['album/late/preview']).toBeUndefined() }, { timeout: 10_000 })
    useImageStore.getState().want('album', 'late', 'preview')
    useImageStore.getState().want('album', 'gone', 'preview')
    await vi.waitFor(() => { expect(useImageStore.getState().urls['album/late/preview']).toMatch(/^blob:/) })
    expect(useImageStore.getState().failed).toEqual({ 'album/gone/preview': true })
    expect(asked.filter((p) => p === 'late')).toHaveLength(2)
    expect(asked.filter((p) => p === 'gone')).toHaveLength(1)
  })
})
