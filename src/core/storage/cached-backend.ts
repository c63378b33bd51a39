/**
 * A read cache in front of a storage backend: recently written and read blocks
 * and meta values are answered from memory, up to a byte budget, least
 * recently used first out. Writes go to the backend first and enter the cache
 * only once they are stored, so the cache never shows what the backend does
 * not hold. Listing always asks the backend.
 */
import { StoreClosedError, throwIfAborted } from '../errors.ts'
import type { BatchOperation, RawBlock, StorageBackend, StoreCallOptions } from './interfaces.ts'

/** An LRU map of byte values with a total size budget. */
function createLru (maxBytes: number) {
  const entries = new Map<string, Uint8Array>()
  let bytes = 0
  const remove = (key: string): void => {
    const value = entries.get(key)
    if (value === undefined) return
    bytes -= value.length
    entries.delete(key)
  }
  return {
    get (key: string): Uint8Array | undefined {
      const value = entries.get(key)
      if (value === undefined) return undefined
      entries.delete(key)
      entries.set(key, value) // most recently used last
      return value.slice()
    },
    set (key: string, value: Uint8Array): void {
      remove(key)
      if (value.length > maxBytes / 8) return // one huge value must not flush everything else
      entries.set(key, value.slice())
      bytes += value.length
      for (const oldest of entries.keys()) {
        if (bytes <= maxBytes) break
        remove(oldest)
      }
    },
    remove
  }
}

/** Wraps `backend` with a cache of at most `maxBytes` (blocks and meta together). */
export function createCachedBackend (backend: StorageBackend, maxBytes = 64 * 1024 * 1024): StorageBackend {
  let closed = false
  /** Cache hits answer like the backend would: not after close, not when aborted. */
  const check = (options?: StoreCallOptions): void => {
    if (closed) throw new StoreClosedError('The cached storage backend is closed')
    throwIfAborted(options?.signal)
  }
  const blocks = createLru(maxBytes / 2)
  const meta = createLru(maxBytes / 2)
  const rememberBlocks = (input: readonly RawBlock[]): void => { for (const b of input) blocks.set(b.cid, b.bytes) }
  const rememberOps = (operations: readonly BatchOperation[]): void => {
    for (const op of operations) {
      if (op.type === 'put') meta.set(op.key, op.value)
      else meta.remove(op.key)
    }
  }
  /** A cache hit, or the backend's answer, remembered. */
  const readThrough = async (lru: ReturnType<typeof createLru>, key: string, fetch: () => Promise<Uint8Array | undefined>, options?: StoreCallOptions): Promise<Uint8Array | undefined> => {
    check(options)
    const hit = lru.get(key)
    if (hit !== undefined) return hit
    const value = await fetch()
    if (value !== undefined) lru.set(key, value)
    return value
  }
  const cached: { -readonly [K in keyof StorageBackend]: StorageBackend[K] } = {
    blocks: {
      get: async (cid, options) => await readThrough(blocks, cid, async () => await backend.blocks.get(cid, options), options),
      has: async (cid, options) => { check(options); return blocks.get(cid) !== undefined || await backend.blocks.has(cid, options) },
      async putMany (input, options) {
        await backend.blocks.putMany(input, options)
        rememberBlocks(input)
      },
      async deleteMany (cids, options) {
        for (const cid of cids) blocks.remove(cid)
        await backend.blocks.deleteMany(cids, options)
      }
    },
    meta: {
      get: async (key, options) => await readThrough(meta, key, async () => await backend.meta.get(key, options), options),
      has: async (key, options) => { check(options); return meta.get(key) !== undefined || await backend.meta.has(key, options) },
      async batch (operations, options) {
        // Deleted keys leave the cache first, so a failed batch cannot leave a stale value behind.
        for (const op of operations) if (op.type === 'delete') meta.remove(op.key)
        await backend.meta.batch(operations, options)
        rememberOps(operations)
      },
      list: (prefix, options) => backend.meta.list(prefix, options)
    },
    close: async () => {
      closed = true
      await backend.close()
    }
  }
  if (backend.commit !== undefined) {
    const commit = backend.commit.bind(backend)
    cached.commit = async (input, operations, options) => {
      for (const op of operations) if (op.type === 'delete') meta.remove(op.key)
      await commit(input, operations, options)
      rememberBlocks(input)
      rememberOps(operations)
    }
  }
  if (backend.commitApplied !== undefined) {
    const commitApplied = backend.commitApplied.bind(backend)
    cached.commitApplied = async (input, operations, options) => {
      for (const op of operations) if (op.type === 'delete') meta.remove(op.key)
      const applied = await commitApplied(input, operations, options)
      // Applied is what reads see, so the cache may hold it now.
      rememberBlocks(input)
      rememberOps(operations)
      return applied
    }
  }
  return cached
}
