/**
 * The database API suite, written without a test framework so the very same
 * cases run under Vitest in Node and inside a SharedWorker in Chromium (over
 * IndexedDB). Each case gets fresh storage from `fresh()`.
 */
import type { Database, ThreadDatabase } from '../../src/core/db/index.ts'
import { openDatabase } from '../../src/core/db/index.ts'
import type { StorageBackend } from '../../src/core/storage/interfaces.ts'

/** Storage for one case: a backend, and a way to reopen it when durable. */
export interface CaseStorage {
  readonly backend: StorageBackend
  readonly reopen?: () => Promise<StorageBackend>
}

/** One case of the suite. */
export interface ApiCase {
  readonly name: string
  run(fresh: () => Promise<CaseStorage>): Promise<void>
}

function check (condition: boolean, message: string): void {
  if (!condition) throw new Error(`check failed: ${message}`)
}
/** JSON with object keys sorted, so equal documents compare equal whatever their key order. */
const json = (v: unknown): string => JSON.stringify(v, (_key, value: unknown) =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a < b ? -1 : 1))
    : value)
function checkEqual (actual: unknown, expected: unknown, message: string): void {
  check(json(actual) === json(expected), `${message}: expected ${json(expected)}, got ${json(actual)}`)
}
async function checkRejects (promise: Promise<unknown>, name: string, message: string): Promise<Error> {
  const error = await promise.then(() => undefined, (e: Error) => e)
  check(error !== undefined, `${message}: expected ${name}, but it succeeded`)
  checkEqual(error!.name, name, message)
  return error!
}
const open = async (fresh: () => Promise<CaseStorage>): Promise<{ db: Database, storage: CaseStorage }> => {
  const storage = await fresh()
  return { db: openDatabase({ backend: storage.backend }), storage }
}

const photoSchema = {
  type: 'object',
  properties: { title: { type: 'string', minLength: 1 }, album: { type: 'string' }, takenAt: { type: 'number' }, likes: { type: 'integer', minimum: 0 } },
  required: ['title']
}

/** Hands every record `from` holds to `to`, as sync would. */
async function sync (from: ThreadDatabase, to: ThreadDatabase): Promise<void> {
  for (const r of await from.exportRecords()) await to.ingest(r)
}

/** Every case of the suite. */
export const apiCases: ApiCase[] = [
  {
    name: 'collections: create, get, has, find, update, save and delete',
    async run (fresh) {
      const { db } = await open(fresh)
      const thread = await db.createThread({ name: 'Summer' })
      const photos = thread.collection('photos', { schema: photoSchema })
      const id = await photos.create({ title: 'Beach', album: 'summer', takenAt: 3 })
      await photos.create({ _id: 'p2', title: 'Dunes', album: 'summer', takenAt: 1 })
      await photos.create({ _id: 'p3', title: 'Snow', album: 'winter', takenAt: 2 })
      checkEqual(photos.get(id), { _id: id, title: 'Beach', album: 'summer', takenAt: 3 }, 'get after create')
      check(photos.has('p2') && !photos.has('nope'), 'has')
      checkEqual(photos.find({ album: 'summer' }, { sort: { takenAt: 1 } }).map((d) => d._id), ['p2', id], 'find sorted')
      checkEqual(photos.find({}, { sort: { takenAt: -1 }, skip: 1, limit: 1 }).map((d) => d._id), ['p3'], 'skip and limit')
      await photos.update('p2', { likes: 4 })
      await photos.save({ _id: 'p3', title: 'Snowfall', takenAt: 2 })
      checkEqual(photos.get('p3'), { _id: 'p3', title: 'Snowfall', takenAt: 2 }, 'save replaces fields')
      await photos.delete(id)
      check(!photos.has(id), 'deleted')
      await checkRejects(photos.delete(id), 'DocumentNotFoundError', 'deleting twice')
      await checkRejects(photos.create({ _id: 'p2', title: 'again' }), 'DocumentExistsError', 'create over an existing id')
      checkEqual((await thread.heads()).map((h) => h.seq), [7], 'one record per successful command, after the genesis')
      await db.close()
    }
  },
  {
    name: 'schemas: an invalid document is refused with the field named and nothing written',
    async run (fresh) {
      const { db } = await open(fresh)
      const thread = await db.createThread()
      const photos = thread.collection('photos', { schema: photoSchema })
      await photos.create({ _id: 'a', title: 'Ok', likes: 1 })
      const heads = await thread.heads()
      const error = await checkRejects(photos.create({ _id: 'b', title: 'Bad', likes: -1 }), 'SchemaValidationError', 'negative likes')
      checkEqual((error as Error & { field: string }).field, '/likes', 'field named')
      check(error.message.includes('/likes'), 'message names the field')
      await checkRejects(photos.create({ _id: 'c', album: 'x' }), 'SchemaValidationError', 'missing title')
      await checkRejects(photos.update('a', { title: '' }), 'SchemaValidationError', 'update breaking the schema')
      checkEqual(await thread.heads(), heads, 'no event written')
      check(!photos.has('b') && photos.get('a')?.title === 'Ok', 'views unchanged')
      await db.close()
    }
  },
  {
    name: 'live queries: the first result, then every change, until unsubscribed',
    async run (fresh) {
      const { db } = await open(fresh)
      const thread = await db.createThread()
      const photos = thread.collection('photos')
      await photos.create({ _id: 'a', title: 'A', album: 'x' })
      const seen: string[][] = []
      const stop = thread.subscribe('photos', { album: 'x' }, { sort: { title: 1 } }, (docs) => seen.push(docs.map((d) => d._id)))
      await new Promise((resolve) => setTimeout(resolve, 0))
      await photos.create({ _id: 'b', title: 'B', album: 'x' })
      await photos.create({ _id: 'c', title: 'C', album: 'y' })
      await photos.update('a', { album: 'y' })
      stop()
      await photos.create({ _id: 'd', title: 'D', album: 'x' })
      checkEqual(seen, [['a'], ['a', 'b'], ['b']], 'results seen')
      await db.close()
    }
  },
  {
    name: 'indexes: the planner uses a declared index for equality and range, with the same answer as a scan',
    async run (fresh) {
      const { db } = await open(fresh)
      const thread = await db.createThread()
      const photos = thread.collection('photos', { indexes: ['album', 'takenAt'] })
      const plain = thread.collection('plain')
      await thread.transaction(async (tx) => {
        for (let i = 0; i < 200; i++) {
          const doc = { _id: `p${i}`, title: `t${i}`, album: `a${i % 7}`, takenAt: i }
          await tx.collection('photos').create(doc)
          await tx.collection('plain').create(doc)
        }
      })
      const eq = photos.explain({ album: 'a3' })
      checkEqual([eq.index, eq.kind, eq.scanned], ['album', 'equality', 29], 'equality plan')
      const range = photos.explain({ takenAt: { $gte: 10, $lt: 20 }, album: { $ne: 'a1' } })
      checkEqual([range.index, range.kind, range.scanned, range.returned], ['takenAt', 'range', 10, 9], 'range plan')
      checkEqual(plain.explain({ album: 'a3' }).kind, 'scan', 'no index: scan')
      checkEqual(photos.find({ takenAt: { $gt: 190 } }), plain.find({ takenAt: { $gt: 190 } }), 'same answer as a scan')
      checkEqual(photos.find({ album: { $in: ['a1', 'a2'] } }).length, plain.find({ album: { $in: ['a1', 'a2'] } }).length, '$in')
      await photos.update('p3', { album: 'moved' })
      checkEqual(photos.find({ album: 'moved' }).map((d) => d._id), ['p3'], 'index follows updates')
      checkEqual(photos.explain({ album: 'a3' }).scanned, 28, 'old entry removed')
      await db.close()
    }
  },
  {
    name: 'key-value store: put, get, delete and keys',
    async run (fresh) {
      const { db } = await open(fresh)
      const thread = await db.createThread()
      await thread.kv.put('theme', 'dark')
      await thread.kv.put('cover', { photo: 'p1' })
      await thread.kv.put('theme', 'light')
      checkEqual([thread.kv.get('theme'), thread.kv.get('cover'), thread.kv.get('missing')], ['light', { photo: 'p1' }, undefined], 'get')
      checkEqual(thread.kv.keys(), ['cover', 'theme'], 'keys')
      await thread.kv.delete('cover')
      await thread.kv.delete('never-set')
      checkEqual(thread.kv.keys(), ['theme'], 'after delete')
      await db.close()
    }
  },
  {
    name: 'transactions: all commands in one event, or none when it throws',
    async run (fresh) {
      const { db } = await open(fresh)
      const thread = await db.createThread()
      await thread.transaction(async (tx) => {
        await tx.collection('albums').create({ _id: 'summer', name: 'Summer' })
        await tx.collection('photos').create({ _id: 'p1', album: 'summer' })
        await tx.kv.put('cover', 'p1')
        await tx.kv.put('cover', 'p2')
      })
      checkEqual((await thread.heads())[0]?.seq, 2, 'one record for the whole transaction, after the genesis')
      checkEqual([thread.collection('albums').has('summer'), thread.collection('photos').has('p1'), thread.kv.get('cover')], [true, true, 'p2'], 'all applied')
      const failed = await thread.transaction(async (tx) => {
        await tx.collection('photos').create({ _id: 'p2' })
        throw new Error('changed my mind')
      }).then(() => undefined, (e: Error) => e.message)
      checkEqual(failed, 'changed my mind', 'error passes through')
      checkEqual([(await thread.heads())[0]?.seq, thread.collection('photos').has('p2')], [2, false], 'nothing written after the genesis')
      await db.close()
    }
  },
  {
    name: 'views survive reopening and rebuild identically from the log and from a snapshot',
    async run (fresh) {
      const { db, storage } = await open(fresh)
      const thread = await db.createThread()
      const photos = thread.collection('photos', { text: ['caption'] })
      for (let i = 0; i < 12; i++) await photos.create({ _id: `p${i}`, n: i, caption: `photo ${i}` })
      await thread.snapshot()
      for (let i = 0; i < 12; i += 3) await photos.delete(`p${i}`)
      await photos.editText('p1', 'caption', (t) => { t.insert(0, 'my ') })
      const expected = thread.dump()
      await thread.rebuild('log')
      checkEqual(thread.dump(), expected, 'rebuilt from the log')
      await thread.rebuild('snapshot')
      checkEqual(thread.dump(), expected, 'rebuilt from snapshot + tail')
      checkEqual(photos.get('p1')?.caption, 'my photo 1', 'text field')
      if (storage.reopen !== undefined) {
        await db.close()
        const again = openDatabase({ backend: await storage.reopen() })
        const reopened = await again.openThread(thread.id)
        checkEqual(reopened.dump(), expected, 'after reopening')
        await again.close()
      } else await db.close()
    }
  },
  {
    name: 'two replicas converge: concurrent edits of different fields survive, the same field resolves alike, text merges',
    async run (fresh) {
      const a = (await open(fresh)).db
      const b = (await open(fresh)).db
      const ta = await a.createThread()
      const tb = await b.acceptInvite(await ta.invite({ role: 'admin' }))
      await ta.collection('photos', { text: ['caption'] }).create({ _id: 'p', title: 'T', likes: 0, caption: 'hello' })
      for (const r of await ta.exportRecords()) await tb.ingest(r)
      const pb = tb.collection('photos', { text: ['caption'] })
      const pa = ta.collection('photos')
      await pa.update('p', { title: 'From A', likes: 1 })
      await pb.update('p', { album: 'From B', likes: 2 })
      await pa.editText('p', 'caption', (t) => { t.insert(5, ' world') })
      await pb.editText('p', 'caption', (t) => { t.insert(0, 'Oh, ') })
      await sync(ta, tb)
      await sync(tb, ta)
      checkEqual(ta.dump(), tb.dump(), 'identical views')
      const doc = ta.collection('photos').get('p')!
      checkEqual([doc.title, doc.album, doc.caption], ['From A', 'From B', 'Oh, hello world'], 'both fields and both text edits')
      check(doc.likes === 1 || doc.likes === 2, 'same field resolved to one of the writes')
      await a.close()
      await b.close()
    }
  },
  {
    name: 'causality: a write made after seeing another write wins over it on every replica, whichever log sorts first',
    async run (fresh) {
      const a = (await open(fresh)).db
      const b = (await open(fresh)).db
      const ta = await a.createThread()
      const tb = await b.acceptInvite(await ta.invite({ role: 'admin' }))
      await ta.collection('photos').create({ _id: 'p', title: 'first' })
      await sync(ta, tb)
      // B has seen A's write, so B's write is causally later: it must win on both replicas…
      await tb.collection('photos').update('p', { title: 'second, by B' })
      await sync(tb, ta)
      checkEqual([ta.collection('photos').get('p')?.title, tb.collection('photos').get('p')?.title], ['second, by B', 'second, by B'], 'B after A')
      // …and then the same the other way round, so the result cannot come from the log IDs' order.
      await ta.collection('photos').update('p', { title: 'third, by A' })
      await sync(ta, tb)
      checkEqual([ta.collection('photos').get('p')?.title, tb.collection('photos').get('p')?.title], ['third, by A', 'third, by A'], 'A after B')
      await a.close()
      await b.close()
    }
  },
  {
    name: 'group commit: concurrent commands are written together, and one that fails fails alone',
    async run (fresh) {
      const { db } = await open(fresh)
      const thread = await db.createThread()
      const photos = thread.collection('photos', { schema: photoSchema })
      const attempts = Array.from({ length: 50 }, (_, i) => photos.create({ _id: `p${i === 49 ? 0 : i}`, title: `photo ${i}` }))
      attempts.push(photos.create({ _id: 'bad', title: '' }))
      const outcomes = await Promise.all(attempts.map(async (p) => await p.then(() => 'ok', (e: Error) => e.name)))
      checkEqual(outcomes.filter((o) => o === 'ok').length, 49, 'successful creates')
      checkEqual(outcomes.slice(49), ['DocumentExistsError', 'SchemaValidationError'], 'the failing ones, alone')
      checkEqual((await thread.heads())[0]?.seq, 50, 'one record per successful command, consecutive, after the genesis')
      checkEqual(photos.get('p0')?.title, 'photo 0', 'the first create of p0 won')
      await db.close()
    }
  }
]
