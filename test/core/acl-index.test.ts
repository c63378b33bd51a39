import { describe, expect, it } from 'vitest'
import { createAclIndex } from '../../src/core/log/acl-index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { putValue } from '../../src/core/storage/meta-values.ts'

const THREAD = 'thread-a'
const row = (record: string, seq = 1): { record: string, log: string, seq: number } => ({ record, log: `log-${record}`, seq })

/** A memory meta store holding `rows` of THREAD, counting the range reads made of it. */
async function metaWith (rows: ReadonlyArray<{ record: string, log: string, seq: number }>) {
  const { meta } = createMemoryBackend()
  await meta.batch(rows.map((r) => putValue(`acl/${THREAD}/${r.record}`, { log: r.log, seq: r.seq })))
  const counted = { ...meta, reads: 0 }
  counted.list = (prefix, options) => { counted.reads++; return meta.list(prefix, options) }
  return counted
}

describe('ACL index', () => {
  it('of a sole writer is read from storage once, then kept in record ID order with what is committed', async () => {
    const meta = await metaWith([row('b'), row('d')])
    const index = createAclIndex({ meta, inMemory: true })
    expect((await index.list(THREAD)).map((r) => r.record)).toEqual(['b', 'd'])
    index.written(THREAD, [row('c'), row('a'), row('d')])
    expect(await index.list(THREAD)).toEqual([row('a'), row('b'), row('c'), row('d')])
    expect(meta.reads).toBe(1)
  })

  it('does not keep a read that a commit overlapped, so it never lags storage', async () => {
    const meta = await metaWith([row('a')])
    const index = createAclIndex({ meta, inMemory: true })
    const reading = index.list(THREAD)
    // A commit applied while the read is under way: the read may or may not have seen it.
    await meta.batch([putValue(`acl/${THREAD}/b`, { log: 'log-b', seq: 1 })])
    index.written(THREAD, [row('b')])
    await reading
    expect((await index.list(THREAD)).map((r) => r.record)).toEqual(['a', 'b'])
    expect(meta.reads).toBe(2)
  })

  it('of a store that is not the sole writer reads storage every time, seeing what others wrote', async () => {
    const meta = await metaWith([row('a')])
    const index = createAclIndex({ meta, inMemory: false })
    await index.list(THREAD)
    await meta.batch([putValue(`acl/${THREAD}/b`, { log: 'log-b', seq: 1 })])
    expect((await index.list(THREAD)).map((r) => r.record)).toEqual(['a', 'b'])
    expect(meta.reads).toBe(2)
  })
})
