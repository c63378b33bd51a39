/**
 * A Chromium peer pulling a thread from a follower over libp2p WebSockets until
 * its views are built in IndexedDB, beside raw batched IndexedDB puts of the
 * same records' bytes, in the same page.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { deleteDB, openDB } from 'idb'
import { openIdbBackend } from '../../src/adapters/idb/index.ts'
import { libp2pSyncTransport } from '../../src/adapters/libp2p/sync-protocol.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { parseInviteLink } from '../../src/core/sync/invite.ts'
import { startWorkerNode } from '../../worker/libp2p-node.ts'

async function benchPull (link: string): Promise<{ pulled: number, pullRate: number, rawRate: number, photos: number }> {
  const invite = parseInviteLink(link)
  const name = `threads-bench-pull-${crypto.randomUUID()}`
  const backend = await openIdbBackend({ name })
  const db = openDatabase({ backend })
  const thread = await db.acceptInvite(invite)
  const node = await startWorkerNode()
  const transport = libp2pSyncTransport(node, multiaddr(invite.addrs[0]!))
  await transport.request({ v: 2, type: 'heads', thread: thread.id }) // connect before timing
  let start = performance.now()
  const result = await syncThread({ thread: thread.id, replica: db.syncReplica(), transport, batchSize: 512 })
  const pullRate = result.pulled / ((performance.now() - start) / 1000)
  const photos = thread.collection('photos').find({}).length

  // The same records' bytes, put raw in batches of 512 records.
  const records = await thread.exportRecords()
  const rawName = `${name}-raw`
  const raw = await openDB(rawName, 1, { upgrade (database) { database.createObjectStore('blocks') } })
  start = performance.now()
  for (let i = 0; i < records.length; i += 512) {
    const tx = raw.transaction('blocks', 'readwrite')
    for (const r of records.slice(i, i + 512)) for (const b of r.blocks) void tx.store.put(b.bytes, b.cid)
    await tx.done
  }
  const rawRate = records.length / ((performance.now() - start) / 1000)
  raw.close()
  await node.stop()
  await db.close()
  await deleteDB(rawName)
  await deleteDB(name)
  return { pulled: result.pulled, pullRate, rawRate, photos }
}

;(globalThis as unknown as { threadsPullBench: typeof benchPull }).threadsPullBench = benchPull
