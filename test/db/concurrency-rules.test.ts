/**
 * What concurrent edits do (docs/API.md, "What concurrent edits do"), driven
 * through the public API on several replicas that exchange records as sync
 * does. Each rule is checked on every replica, and again after each replica
 * rebuilds its view from the log and from its snapshot plus the records after it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Collection, CollectionOptions, ThreadDatabase } from '../../src/core/db/index.ts'
import { declare, exchange, onEveryReplicaAndRebuild, openReplicas, syncOneWay, type Replicas } from './replicas.ts'

const photoSchema = {
  type: 'object',
  properties: { title: { type: 'string', minLength: 1 }, likes: { type: 'integer', minimum: 0 }, caption: { type: 'string' } },
  required: ['title']
}
const photoOptions: CollectionOptions = { schema: photoSchema, text: ['caption'] }
const photos = (t: ThreadDatabase): Collection => t.collection('photos', photoOptions)

let open: Replicas | undefined
afterEach(async () => { await open?.close(); open = undefined })
async function replicas (count: number, seed: string): Promise<ThreadDatabase[]> {
  open = await openReplicas(count, seed)
  declare(open.threads, 'photos', photoOptions)
  return open.threads
}
/** Writes to another collection, so this replica's next event sorts after a peer's concurrent one. */
async function advanceClock (t: ThreadDatabase, writes: number): Promise<void> {
  for (let i = 0; i < writes; i++) await t.collection('busy').upsert({ _id: 'counter', i })
}
const headsOf = async (t: ThreadDatabase): Promise<string> => JSON.stringify(await t.heads())

describe('schema checks inside a transaction', () => {
  it('check every command against the state after the commands staged before it, so no replica ever holds the invalid document', async () => {
    const [a, b] = await replicas(2, 'tx-schema')
    await photos(a!).create({ _id: 'p', title: 'kept', likes: 1 })
    const before = await headsOf(a!)

    const refusals = [
      async () => { await a!.transaction(async (tx) => { await tx.collection('photos').create({ _id: 'q', title: 'fine' }); await tx.collection('photos').update('q', { title: '' }) }) },
      async () => { await a!.transaction(async (tx) => { await tx.collection('photos').update('p', { likes: 2 }); await tx.collection('photos').update('p', { likes: -5 }) }) },
      async () => { await a!.transaction(async (tx) => { await tx.collection('photos').delete('p'); await tx.collection('photos').create({ _id: 'p', likes: 3 }) }) }
    ]
    const fields: string[] = []
    for (const attempt of refusals) {
      const error = await attempt().then(() => undefined, (e: Error & { field?: string }) => e)
      expect(error?.name).toBe('SchemaValidationError')
      fields.push(error!.field!)
    }
    expect(fields).toEqual(['/title', '/likes', '/title'])
    expect(await headsOf(a!), 'nothing written').toBe(before)

    // Valid transactions apply whole, each command seeing the ones before it.
    await a!.transaction(async (tx) => {
      await tx.collection('photos').create({ _id: 'r', title: 'r' })
      await tx.collection('photos').update('r', { likes: 1 })
      await tx.collection('photos').update('r', { likes: 2 })
      await tx.collection('photos').delete('p')
      await tx.collection('photos').create({ _id: 'p', title: 'again' })
    })
    await exchange([a!, b!])
    await onEveryReplicaAndRebuild([a!, b!], (t, where) => {
      expect(photos(t).find({}), where).toEqual([{ _id: 'p', title: 'again' }, { _id: 'r', likes: 2, title: 'r' }])
    })
  })
})

describe('the writer\'s view and every other replica\'s', () => {
  it('are built from the same decoded values: a lone surrogate, -0 and key order show alike, and the schema judges the decoded value', async () => {
    const [a, b] = await replicas(2, 'decoded')
    await photos(a!).create({ _id: 'p', title: 'a\ud800b', likes: -0, meta: { zz: 1, b: 2, aaa: 3 } })
    const onWriter = photos(a!).get('p')!
    expect(onWriter.title).toBe('a\ufffdb')
    expect(Object.is(onWriter.likes, 0)).toBe(true)
    const strict = a!.collection('strict', { schema: { type: 'object', properties: { title: { type: 'string', pattern: '^[^\\uFFFD]*$' } } } })
    // The raw value passes the pattern; what peers decode (U+FFFD) does not: refused before anything is written.
    await expect(strict.create({ _id: 's', title: 'x\udc00' })).rejects.toMatchObject({ name: 'SchemaValidationError', field: '/title' })
    await a!.snapshot()
    await exchange([a!, b!])
    await onEveryReplicaAndRebuild([a!, b!], (t, where) => {
      const doc = photos(t).get('p')!
      expect(doc, where).toEqual(onWriter)
      expect(Object.keys(doc.meta as object), where).toEqual(Object.keys(onWriter.meta as object))
      expect(Object.keys(doc), where).toEqual(Object.keys(onWriter))
    })
  })
})

describe('a delete and concurrent updates', () => {
  for (const order of ['after', 'before'] as const) {
    it(`the delete wins over an update that did not see it, when the update sorts ${order} it; the document never comes back as a fragment`, async () => {
      const [a, b] = await replicas(2, `delete-${order}`)
      await photos(a!).create({ _id: 'p', title: 'original', likes: 1, caption: 'old caption' })
      await exchange([a!, b!])
      for (const t of [a!, b!]) await t.snapshot()
      if (order === 'after') await advanceClock(b!, 3)
      else await advanceClock(a!, 3)
      await photos(a!).delete('p')
      await photos(b!).update('p', { likes: 5 })
      await photos(b!).editText('p', 'caption', (text) => { text.insert(0, 'new ') })
      await exchange([a!, b!])
      await onEveryReplicaAndRebuild([a!, b!], async (t, where) => {
        expect(photos(t).has('p'), where).toBe(false)
        expect(photos(t).find({}), where).toEqual([])
        expect(await t.skipped(), where).toEqual([])
      })
      await expect(photos(b!).update('p', { likes: 6 })).rejects.toMatchObject({ name: 'DocumentNotFoundError' })
    })
  }

  it('a create after the delete is a fresh document: an update of the old one made concurrently does not reach it, and neither do old fields or text', async () => {
    const [a, b] = await replicas(2, 'recreate')
    await photos(a!).create({ _id: 'p', title: 'original', likes: 1, caption: 'old caption' })
    await exchange([a!, b!])
    for (const t of [a!, b!]) await t.snapshot()
    await advanceClock(b!, 4)
    await photos(a!).delete('p')
    await photos(a!).create({ _id: 'p', title: 'again' })
    await photos(b!).update('p', { likes: 7 })
    await photos(b!).editText('p', 'caption', (text) => { text.insert(0, 'stale ') })
    await exchange([a!, b!])
    await onEveryReplicaAndRebuild([a!, b!], async (t, where) => {
      expect(photos(t).get('p'), where).toEqual({ _id: 'p', title: 'again' })
      expect(await t.skipped(), where).toEqual([])
    })
    // Writes that saw the new document apply to it.
    await photos(b!).editText('p', 'caption', (text) => { text.insert(0, 'fresh') })
    await syncOneWay(b!, a!)
    for (const t of [a!, b!]) expect(photos(t).get('p')).toEqual({ _id: 'p', caption: 'fresh', title: 'again' })
  })
})

describe('concurrent creates of one ID', () => {
  it('one wins as a whole (fields, text and its later writes) on every replica, and the other is reported', async () => {
    const [a, b, c] = await replicas(3, 'creates')
    await photos(a!).create({ _id: 'p', title: 'from A', likes: 1, caption: 'A caption' })
    await photos(b!).create({ _id: 'p', title: 'from B', caption: 'B caption' })
    await photos(b!).update('p', { likes: 9 })
    const byWriter = new Map([[a!.logId, { _id: 'p', caption: 'A caption', likes: 1, title: 'from A' }], [b!.logId, { _id: 'p', caption: 'B caption', likes: 9, title: 'from B' }]])
    await c!.snapshot()
    await exchange([a!, b!, c!])
    const report = await c!.skipped()
    expect(report).toHaveLength(1)
    const lost = report[0]!
    expect(lost).toMatchObject({ kind: 'create', collection: 'photos', id: 'p', reason: 'DocumentExistsError', seq: 2 })
    const winner = [a!.logId, b!.logId].find((log) => log !== lost.log)!
    expect((await (lost.log === a!.logId ? a! : b!).exportRecords()).filter((r) => r.log === lost.log)[1]?.record, 'the report names the losing create (after the genesis or join)').toBe(lost.record)
    await onEveryReplicaAndRebuild([a!, b!, c!], async (t, where) => {
      expect(photos(t).find({}), where).toEqual([byWriter.get(winner)])
      expect(await t.skipped(), where).toEqual(report)
    })
    // The loser's writer now sees the winner and writes to it.
    const loser = lost.log === a!.logId ? a! : b!
    await photos(loser).update('p', { likes: 4 })
    await exchange([a!, b!, c!])
    for (const t of [a!, b!, c!]) expect(photos(t).get('p')).toEqual({ ...byWriter.get(winner)!, likes: 4 })
  })
})

describe('a delete', () => {
  it('ends the document its writer saw: deleting the losing create of two concurrent ones leaves the winner, and the report empties', async () => {
    const [a, b] = await replicas(2, 'delete-seen')
    await photos(a!).create({ _id: 'cover', title: 'from A' })
    await photos(b!).create({ _id: 'cover', title: 'from B' })
    await exchange([a!, b!])
    const lost = (await a!.skipped())[0]!
    const loser = lost.log === a!.logId ? a! : b!
    const winner = loser === a! ? b! : a!
    const shown = photos(winner).get('cover')
    expect(photos(loser).get('cover')).toEqual(shown)
    // The loser's writer now sees the winner: its delete ends the winner, and the lost create stays reported.
    await photos(loser).delete('cover')
    await exchange([a!, b!])
    await onEveryReplicaAndRebuild([a!, b!], async (t, where) => {
      expect(photos(t).has('cover'), where).toBe(false)
      expect(await t.skipped(), where).toEqual([lost])
    })
  })

  it('of the losing create, made by a writer that saw only it, leaves the winning create shown', async () => {
    const [a, b] = await replicas(2, 'delete-loser')
    await photos(a!).create({ _id: 'cover', title: 'from A' })
    await photos(b!).create({ _id: 'cover', title: 'from B' })
    await photos(a!).delete('cover')
    await photos(b!).delete('cover')
    await photos(a!).create({ _id: 'cover', title: 'A again' })
    await exchange([a!, b!])
    await onEveryReplicaAndRebuild([a!, b!], async (t, where) => {
      expect(photos(t).get('cover'), where).toEqual({ _id: 'cover', title: 'A again' })
      expect(await t.skipped(), where).toEqual([])
    })
  })
})

describe('the key-value store', () => {
  it('follows the same rules: the later put wins, a delete wins over a put that did not see it, concurrent first puts keep one and report the other', async () => {
    const [a, b] = await replicas(2, 'kv')
    await a!.kv.put('theme', 'dark')
    await exchange([a!, b!])
    await advanceClock(b!, 2)
    await a!.kv.put('theme', 'light')
    await b!.kv.put('theme', 'sepia')
    await a!.kv.put('cover', 'p1')
    await exchange([a!, b!])
    // b's put sorts later (its clock is higher): it wins everywhere.
    for (const t of [a!, b!]) expect(t.kv.get('theme')).toBe('sepia')
    await a!.kv.delete('cover')
    await b!.kv.put('cover', 'p2')
    await a!.kv.put('lang', 'fr')
    await b!.kv.put('lang', 'de')
    await exchange([a!, b!])
    await onEveryReplicaAndRebuild([a!, b!], async (t, where) => {
      expect(t.kv.keys(), where).toEqual(['lang', 'theme'])
      expect(['fr', 'de'], where).toContain(t.kv.get('lang'))
      expect((await t.skipped()).map((s) => s.kind === 'record' ? [s.kind] : [s.kind, s.collection, s.id]), where).toEqual([['create', '_kv', 'lang']])
    })
  })
})

describe('text positions', () => {
  it('count code points: an edit never splits an emoji, and replicas merge emoji edits without replacement characters', async () => {
    const [a, b] = await replicas(2, 'emoji')
    await photos(a!).create({ _id: 'p', title: 'emoji', caption: '👋🌍' })
    await exchange([a!, b!])
    let length = -1
    await photos(a!).editText('p', 'caption', (text) => {
      length = text.length
      text.insert(1, '!')
    })
    expect(length).toBe(2)
    expect(photos(a!).get('p')?.caption).toBe('👋!🌍')
    await photos(b!).editText('p', 'caption', (text) => { text.delete(1, 1) })
    await photos(b!).editText('p', 'caption', (text) => { text.insert(text.length, '🎉') })
    await expect(photos(a!).editText('p', 'caption', (text) => { text.insert(4, 'x') })).rejects.toMatchObject({ name: 'InvalidCommandError' })
    await expect(photos(a!).editText('p', 'caption', (text) => { text.delete(2, 2) })).rejects.toMatchObject({ name: 'InvalidCommandError' })
    // Replacing a text by saving the document keeps whole code points too (😀 and 😁 share their first UTF-16 unit).
    await photos(a!).create({ _id: 'q', title: 'face', caption: '😀' })
    await photos(a!).save({ _id: 'q', title: 'face', caption: '😁' })
    await exchange([a!, b!])
    await onEveryReplicaAndRebuild([a!, b!], (t, where) => {
      expect(photos(t).get('p')?.caption, where).toBe('👋!🎉')
      expect(photos(t).get('q')?.caption, where).toBe('😁')
      expect(JSON.stringify(t.dump()), where).not.toContain('\ufffd')
    })
  })
})
