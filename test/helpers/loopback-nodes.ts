/** Real libp2p nodes on loopback for a test file, each stopped after the test that made it, and an album of two to sync between them. */
import { createLibp2p, type Libp2p } from 'libp2p'
import { afterEach } from 'vitest'
import { withBaseOptions } from '../../src/adapters/libp2p/base-options.ts'
import { openDatabase, type ThreadDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'

/** Registers the cleanup and returns a maker of nodes: listening on a loopback WebSocket port, or dialling only. */
export function loopbackNodesPerTest (): (listen: boolean) => Promise<Libp2p> {
  const nodes: Libp2p[] = []
  afterEach(async () => { await Promise.all(nodes.splice(0).map(async (n) => { await n.stop() })) })
  return async (listen) => {
    const created = await createLibp2p(withBaseOptions(listen ? { addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] } } : {}))
    nodes.push(created)
    return created
  }
}

/** Two people in one album, each with a database in memory: Alice made it, Bob joined as admin (`joined`, his copy). */
export async function albumOfTwo (): Promise<{ alice: ReturnType<typeof openDatabase>, thread: ThreadDatabase, bob: ReturnType<typeof openDatabase>, joined: ThreadDatabase }> {
  const alice = openDatabase({ backend: createMemoryBackend() })
  const thread = await alice.createThread({ name: 'Summer' })
  const bob = openDatabase({ backend: createMemoryBackend() })
  const joined = await bob.acceptInvite(await thread.invite({ role: 'admin' }))
  return { alice, thread, bob, joined }
}
