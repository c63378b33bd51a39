/**
 * A media node's blocks as the media store uses them, between two light Helia
 * nodes on libp2p nodes of their own, connected over loopback WebSockets: a
 * block one holds reaches the other over bitswap and is kept there; a block
 * read locally never asks the network; bytes that do not hash to the CID
 * asked for are never handed out; deleted blocks are gone. A want a peer
 * failed to answer (its store failed once, its send was lost) is made again
 * after a while, so the block still comes.
 */
import { MemoryBlockstore } from 'blockstore-core'
import { createLibp2p, type Libp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, describe, expect, it } from 'vitest'
import { withBaseOptions } from '../../src/adapters/libp2p/base-options.ts'
import { createBlockNode } from '../../src/adapters/libp2p/block-node.ts'
import { mediaBlocksOf } from '../../src/adapters/libp2p/media-blocks.ts'

describe('media blocks over a block node', { timeout: 60_000 }, () => {
  const stops: Array<() => Promise<unknown>> = []
  afterEach(async () => { for (const stop of stops.splice(0).reverse()) await stop() })

  const start = async (listen: boolean, blockstore = new MemoryBlockstore()): Promise<{ libp2p: Libp2p, blockstore: MemoryBlockstore, helia: Awaited<ReturnType<typeof createBlockNode>> }> => {
    const libp2p = await createLibp2p(withBaseOptions({ addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0/ws'] : [] }}))
    stops.push(async () => { await libp2p.stop() })
    const helia = await createBlockNode({ libp2p, blockstore })
    stops.push(async () => { await helia.stop() })
    return { libp2p, blockstore, helia }
  }
  const blockOf = async (bytes: Uint8Array): Promise<CID> => CID.createV1(raw.code, await sha256.digest(bytes))

  it('moves a 1 MiB block between two nodes, the receiver keeps it, and deletes it when told', async () => {
    const alice = await start(true)
    const bob = await start(false)
    const aliceBlocks = mediaBlocksOf(alice.helia, alice.blockstore)
    const bobBlocks = mediaBlocksOf(bob.helia, bob.blockstore)
    const bytes = new Uint8Array(1024 * 1024).map((_, i) => (i * 7919) % 251)
    const cid = await blockOf(bytes)
    await aliceBlocks.put({ cid, bytes })
    expect(await bobBlocks.getLocal(cid)).toBeUndefined() // never asks the network
    await bob.libp2p.dial(alice.libp2p.getMultiaddrs())
    expect(await bobBlocks.get(cid, { signal: AbortSignal.timeout(20_000) })).toEqual(bytes)
    expect(await bobBlocks.getLocal(cid)).toEqual(bytes)
    await bobBlocks.delete([cid])
    expect(await bob.blockstore.has(cid)).toBe(false)
    // And the libp2p node the media node shares goes on running after it stops.
    await bob.helia.stop()
    expect(bob.libp2p.status).toBe('started')
  })

  it('never hands out bytes that do not hash to the CID asked for', async () => {
    const alice = await start(true)
    const bob = await start(false)
    const cid = await blockOf(new Uint8Array([1, 2, 3]))
    // Alice holds other bytes under that CID (a corrupted or hostile store).
    await alice.blockstore.put(cid, new Uint8Array([6, 6, 6]))
    await bob.libp2p.dial(alice.libp2p.getMultiaddrs())
    await expect(mediaBlocksOf(bob.helia, bob.blockstore).get(cid, { signal: AbortSignal.timeout(3_000) })).rejects.toThrow()
    expect(await bob.blockstore.has(cid)).toBe(false)
  })

  it('asks again for a block whose want a peer dropped, and gets it', async () => {
    // Alice's store fails once as bitswap looks for the block: her bitswap never answers that want again on its own.
    let failOnce = false
    let failed = 0
    const store = new MemoryBlockstore()
    const has = store.has.bind(store)
    store.has = async (cid, options) => {
      if (failOnce) {
        failOnce = false
        failed++
        throw new Error('the disk was busy')
      }
      return await has(cid, options)
    }
    const alice = await start(true, store)
    const bob = await start(false)
    const bytes = new Uint8Array([4, 5, 6])
    const cid = await blockOf(bytes)
    await alice.blockstore.put(cid, bytes)
    failOnce = true
    await bob.libp2p.dial(alice.libp2p.getMultiaddrs())
    const bobBlocks = mediaBlocksOf(bob.helia, bob.blockstore, { firstWaitMs: 1_000 })
    expect(await bobBlocks.get(cid, { signal: AbortSignal.timeout(20_000) })).toEqual(bytes)
    expect(failed).toBe(1)
  })
})
