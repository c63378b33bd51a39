/**
 * Durable database writes in real Chromium IndexedDB, beside raw batched
 * IndexedDB puts of exactly the same bytes. The database's storage calls are
 * recorded while it runs, then the same blocks and rows are put into a fresh
 * database directly through idb, in transactions of the same size the
 * database's group commit used.
 */
import { deleteDB, openDB } from 'idb'
import { openIdbBackend } from '../../src/adapters/idb/index.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import type { BatchOperation, RawBlock, StorageBackend } from '../../src/core/storage/interfaces.ts'

interface Recorded { blocks: RawBlock[], operations: BatchOperation[] }

function recording (backend: StorageBackend, log: Recorded[]): StorageBackend {
  let pendingBlocks: RawBlock[] = []
  return {
    close: async () => { await backend.close() },
    blocks: {
      get: backend.blocks.get.bind(backend.blocks),
      has: backend.blocks.has.bind(backend.blocks),
      deleteMany: backend.blocks.deleteMany.bind(backend.blocks),
      putMany: async (blocks, options) => {
        pendingBlocks.push(...blocks)
        await backend.blocks.putMany(blocks, options)
      }
    },
    meta: {
      get: backend.meta.get.bind(backend.meta),
      has: backend.meta.has.bind(backend.meta),
      list: backend.meta.list.bind(backend.meta),
      batch: async (operations, options) => {
        log.push({ blocks: pendingBlocks, operations: [...operations] })
        pendingBlocks = []
        await backend.meta.batch(operations, options)
      }
    }
  }
}

/** Writes `count` documents through the database, then the same bytes raw; returns both rates. */
async function benchWrites (count: number): Promise<{ dbRate: number, rawRate: number, batches: number, bytes: number }> {
  const name = `threads-bench-${crypto.randomUUID()}`
  const log: Recorded[] = []
  const db = openDatabase({ backend: recording(await openIdbBackend({ name }), log) })
  const thread = await db.createThread()
  const photos = thread.collection('photos', { indexes: ['album'] })
  log.length = 0
  const payload = 'x'.repeat(900) // about 1 KiB of document per write
  const start = performance.now()
  await Promise.all(Array.from({ length: count }, async (_, i) => {
    await photos.create({ _id: `p${i}`, album: `a${i % 50}`, caption: payload, takenAt: i })
  }))
  const dbRate = count / ((performance.now() - start) / 1000)
  await db.close()
  await deleteDB(name)

  const rawName = `${name}-raw`
  const raw = await openDB(rawName, 1, { upgrade (database) { database.createObjectStore('blocks'); database.createObjectStore('meta') } })
  let bytes = 0
  const rawStart = performance.now()
  for (const batch of log) {
    const tx = raw.transaction(['blocks', 'meta'], 'readwrite')
    const blocks = tx.objectStore('blocks')
    const meta = tx.objectStore('meta')
    for (const block of batch.blocks) { void blocks.put(block.bytes, block.cid); bytes += block.bytes.length }
    for (const op of batch.operations) {
      if (op.type === 'put') { void meta.put(op.value, op.key); bytes += op.value.length } else void meta.delete(op.key)
    }
    await tx.done
  }
  const rawRate = count / ((performance.now() - rawStart) / 1000)
  raw.close()
  await deleteDB(rawName)
  return { dbRate, rawRate, batches: log.length, bytes }
}

;(globalThis as unknown as { threadsBench: typeof benchWrites }).threadsBench = benchWrites
