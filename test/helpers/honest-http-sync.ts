/** An honest client of a follower's HTTP side, for tests that check it is still served while strangers misbehave. */
import { expect } from 'vitest'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'

/** Has the follower at `url` follow a fresh thread, pushes a document to it and reads it back over HTTP. */
export async function honestHttpSync (url: string): Promise<void> {
  const http = httpSyncTransport(url)
  const writer = openDatabase({ backend: createMemoryBackend() })
  const thread = await writer.createThread({ name: 'Honest' })
  expect((await http.request(await thread.followRequest())).type).toBe('following')
  await thread.collection('photos').create({ _id: 'p1', title: 'still served' })
  expect(await syncThread({ thread: thread.id, replica: writer.syncReplica(), transport: http })).toMatchObject({ pushed: 1 })
}
