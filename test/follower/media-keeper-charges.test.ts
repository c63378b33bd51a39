/**
 * The follower's media keeper charges a thread once for each file it keeps
 * and once for each thumbnail pack block, however the records naming them
 * arrive: several records of one grouped commit attaching the same file, the
 * file held whole already, or the same pack block pushed many times at once.
 * Bitswap is stood in for by a node that never finds a block, so the keeper
 * takes blocks only pushed (`accept`), as from a writer's PUT.
 */
import { MemoryBlockstore } from 'blockstore-core/memory'
import { describe, expect, it } from 'vitest'
import type { BlockNode } from '../../src/adapters/libp2p/block-node.ts'
import type { RecordNode } from '../../src/core/log/record-format.ts'
import { encryptMedia, type MediaBlock } from '../../src/core/media/index.ts'
import { chunkBlock } from '../../src/core/media/format.ts'
import { createMemoryKeyValueStore } from '../../src/core/storage/memory.ts'
import { startMediaKeeper, type MediaKeeper } from '../../follower/media-keeper.ts'

/** A Helia node whose bitswap finds nothing: a fetch waits until aborted. */
function unreachableNode (store: MemoryBlockstore): BlockNode {
  return {
    libp2p: new EventTarget(),
    blockstore: {
      async * get (_cid: unknown, options: { signal: AbortSignal }) {
        await new Promise((_resolve, reject) => { options.signal.addEventListener('abort', () => { reject(options.signal.reason) }) })
        yield new Uint8Array(0)
      },
      put: async (cid: Parameters<MemoryBlockstore['put']>[0], bytes: Uint8Array) => await store.put(cid, bytes)
    }
  } as unknown as BlockNode
}

async function keeperWithLedger (): Promise<{ keeper: MediaKeeper, charged: Map<string, number> }> {
  const charged = new Map<string, number>()
  const store = new MemoryBlockstore()
  const keeper = await startMediaKeeper({
    meta: createMemoryKeyValueStore(),
    store,
    node: unreachableNode(store),
    quota: {
      charge: async (thread, bytes) => { await Promise.resolve(); charged.set(thread, (charged.get(thread) ?? 0) + bytes) },
      refund: async (thread, bytes) => { charged.set(thread, (charged.get(thread) ?? 0) - bytes) }
    },
    fetchTimeoutMs: 60_000
  })
  return { keeper, charged }
}

async function file (size: number, seed: number): Promise<{ root: string, blocks: MediaBlock[], bytes: number }> {
  const blocks: MediaBlock[] = []
  const ref = await encryptMedia([new Uint8Array(size).fill(seed)], { size, type: 'image/png', put: async (block) => { blocks.push(block) } })
  return { root: ref.root.toString(), blocks, bytes: blocks.reduce((sum, b) => sum + b.bytes.length, 0) }
}

/** Runs `thread`'s hook over records as one grouped commit does: every hook first, then every `committed`. */
async function commitGroup (keeper: MediaKeeper, thread: string, attachments: string[][]): Promise<void> {
  const hook = keeper.hook(thread)
  const derived = []
  for (const [i, attached] of attachments.entries()) derived.push(await hook({ record: `r${i}`, node: { attachments: attached } as unknown as RecordNode, blocks: [] }))
  for (const { committed } of derived) committed?.()
}

async function pushAll (keeper: MediaKeeper, blocks: MediaBlock[]): Promise<void> {
  for (const block of blocks) await keeper.accept(block.cid.toString(), block.bytes)
  await keeper.idle()
}

describe('a follower charges each file and pack block once per thread', () => {
  it('a file attached by several records of one grouped commit, then pushed: charged once', async () => {
    const { keeper, charged } = await keeperWithLedger()
    const photo = await file(100_000, 1)
    await commitGroup(keeper, 'album', [[photo.root], [photo.root], [photo.root, photo.root]])
    // The manifest last: its chunks wait for it, and it is pushed twice.
    const manifest = photo.blocks.at(-1)!
    await Promise.all([keeper.accept(manifest.cid.toString(), manifest.bytes), keeper.accept(manifest.cid.toString(), manifest.bytes)])
    await pushAll(keeper, photo.blocks)
    expect(keeper.status()).toMatchObject({ kept: 1, complete: 1 })
    expect(charged.get('album')).toBe(photo.bytes)
    await keeper.stop()
  })

  it('a file held whole already, attached by several records of another thread\'s grouped commit: that thread is charged once', async () => {
    const { keeper, charged } = await keeperWithLedger()
    const photo = await file(100_000, 2)
    await commitGroup(keeper, 'album', [[photo.root]])
    await pushAll(keeper, [photo.blocks.at(-1)!, ...photo.blocks])
    expect(keeper.status()).toMatchObject({ kept: 1, complete: 1 })
    await commitGroup(keeper, 'other', [[photo.root], [photo.root]])
    await commitGroup(keeper, 'other', [[photo.root]])
    await keeper.idle()
    await expect.poll(() => charged.get('other')).toBe(photo.bytes)
    expect(charged.get('album')).toBe(photo.bytes)
    await keeper.stop()
  })

  it('the same thumbnail pack block pushed many times at once: charged once', async () => {
    const { keeper, charged } = await keeperWithLedger()
    const pack = await chunkBlock(new Uint8Array(50_000).fill(7))
    await keeper.keepPacks('album', [pack.cid.toString()])
    await Promise.all(Array.from({ length: 8 }, async () => { await keeper.accept(pack.cid.toString(), pack.bytes) }))
    await keeper.accept(pack.cid.toString(), pack.bytes)
    expect(charged.get('album')).toBe(pack.bytes.length)
    // A newer snapshot naming no pack refunds it, once.
    await keeper.keepPacks('album', [])
    expect(charged.get('album')).toBe(0)
    await keeper.stop()
  })
})
