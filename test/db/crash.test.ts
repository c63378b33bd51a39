/**
 * A crash in the middle of a commit: the storage batch that holds an event's
 * index, head and view rows is aborted. The command fails, nothing of it is
 * visible, and after reopening the storage the log and the views agree, and
 * writing goes on at the right position.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openFileBackend } from '../../src/adapters/node/index.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import type { StorageBackend } from '../../src/core/storage/interfaces.ts'

/** A backend whose next meta batch is aborted, as a crash or a failed transaction would. */
function abortNextBatch (backend: StorageBackend): { backend: StorageBackend, arm: () => void } {
  let armed = false
  return {
    arm: () => { armed = true },
    backend: {
      blocks: backend.blocks,
      close: async () => { await backend.close() },
      meta: {
        ...backend.meta,
        get: backend.meta.get.bind(backend.meta),
        has: backend.meta.has.bind(backend.meta),
        list: backend.meta.list.bind(backend.meta),
        batch: async (ops, options) => {
          if (armed) {
            armed = false
            throw new Error('transaction aborted')
          }
          await backend.meta.batch(ops, options)
        }
      }
    }
  }
}

describe('crash in the middle of a commit', () => {
  let directory: string
  afterEach(async () => { await rm(directory, { recursive: true, force: true }) })

  it('leaves log and views consistent after reopening', async () => {
    directory = await mkdtemp(join(tmpdir(), 'threads-crash-'))
    const faulty = abortNextBatch(await openFileBackend({ directory }))
    const db = openDatabase({ backend: faulty.backend })
    const thread = await db.createThread()
    const photos = thread.collection('photos')
    await photos.create({ _id: 'a', title: 'kept' })
    await thread.transaction(async (tx) => {
      await tx.collection('photos').create({ _id: 'b', title: 'kept too' })
      await tx.kv.put('cover', 'b')
    })
    const headsBefore = await thread.heads()
    const viewBefore = thread.dump()

    faulty.arm()
    await expect(thread.transaction(async (tx) => {
      await tx.collection('photos').create({ _id: 'c', title: 'lost' })
      await tx.collection('photos').update('a', { title: 'changed' })
      await tx.kv.put('cover', 'c')
    })).rejects.toThrow('transaction aborted')
    expect(thread.dump()).toEqual(viewBefore)
    expect(await thread.heads()).toEqual(headsBefore)
    await db.close()

    const reopened = openDatabase({ backend: await openFileBackend({ directory }) })
    const again = await reopened.openThread(thread.id)
    expect(await again.heads()).toEqual(headsBefore)
    expect(again.dump()).toEqual(viewBefore)
    await again.rebuild('log')
    expect(again.dump()).toEqual(viewBefore)
    // The log goes on from where the durable state is: no gap, no second record at seq 4 (seq 1 is the genesis).
    await again.collection('photos').create({ _id: 'd', title: 'after restart' })
    expect((await again.heads())[0]?.seq).toBe(4)
    expect(again.collection('photos').find({}).map((d) => d._id)).toEqual(['a', 'b', 'd'])
    await reopened.close()
  })
})
