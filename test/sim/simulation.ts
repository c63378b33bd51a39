/**
 * A seeded simulation of replicas of one thread, at the level of the protocol:
 * every replica is a real database (memory storage), commands go through the
 * public API, and records travel as sync hands them over, in random order,
 * partly, twice, late (a record whose dependencies have not arrived is refused
 * and offered again later), and not at all across a partition until it heals.
 * Commands include transactions, deletes and re-creates, and text edits with
 * emoji at code-point positions.
 *
 * Checked throughout: every command's outcome (done, or which error) and every
 * replica's view are what the rules of oracle.ts predict from what it holds,
 * and a rebuild changes no view. Checked at the end, once every replica holds
 * every record: views, skip reports, queries (replicas with and without
 * indexes), key-value reads and both rebuilds are identical on every replica,
 * equal to the reference fold of the records, and text holds only characters
 * written to the document's current life. The same seed replays the same run.
 */
import { deepStrictEqual, ok } from 'node:assert/strict'
import type { Filter, FindOptions, RecordEnvelope, ThreadDatabase } from '../../src/core/db/index.ts'
import { referenceFold } from '../helpers/reference-fold.ts'
import { seededRng, type Rng } from '../helpers/seeded.ts'
import { openReplicas } from '../db/replicas.ts'
import { expectedEffect, idOf, PHOTO_SCHEMA, plainFields, randomCommand, runCommand, type Command, type Effect } from './commands.ts'
import { alphabet, Oracle, type Held, type Write } from './oracle.ts'

/** How a run is shaped. */
export interface SimulationOptions {
  readonly seed: number
  readonly replicas: number
  /** Random steps before the network heals (default 60). */
  readonly steps?: number
}

/** What a run did, for the report. */
export interface SimulationStats {
  readonly records: number
  readonly commands: number
  readonly refused: number
  readonly deliveries: number
}

const COLLECTIONS = ['photos', 'albums', '_kv']
const QUERIES: Array<[Filter, FindOptions]> = [
  [{}, { sort: { likes: -1 } }], [{ album: 'summer' }, {}], [{ album: { $in: ['winter', '🏔️'] } }, {}], [{ tags: '🐚' }, {}],
  [{ tags: { $in: ['sea', 'sun'] } }, { sort: { title: 1 } }], [{ likes: { $gte: 2 } }, {}], [{ likes: { $gt: 0, $lt: 4 } }, { limit: 2, sort: { likes: 1 } }],
  [{ album: { $gte: 's', $lt: 'x' } }, {}], [{ title: { $exists: true }, album: { $ne: 'summer' } }, {}], [{ 'tags.0': 'sea' }, {}]
]

class Simulation {
  readonly oracle = new Oracle()
  readonly pending: RecordEnvelope[][]
  groups: number[] | undefined
  readonly trace: string[] = []
  stats = { records: 0, commands: 0, refused: 0, deliveries: 0 }

  readonly rng: Rng
  readonly threads: ThreadDatabase[]

  constructor (rng: Rng, threads: ThreadDatabase[]) {
    this.rng = rng
    this.threads = threads
    this.pending = threads.map(() => [])
    threads.forEach((t, i) => {
      // Half the replicas declare indexes, so queries run through indexes on some and by scanning on the others.
      t.collection('photos', { schema: PHOTO_SCHEMA, text: ['caption'], indexes: i % 2 === 0 ? ['album', 'tags', 'likes', 'title'] : [] })
      t.collection('albums', { indexes: i % 2 === 0 ? ['cover'] : [] })
    })
  }

  note (line: string): void {
    this.trace.push(line)
    if (this.trace.length > 25) this.trace.shift()
  }

  async held (r: number): Promise<Map<string, number>> {
    return new Map((await this.threads[r]!.heads()).map((h) => [h.log, h.seq]))
  }

  /** The caption's length in code points on replica `r`. */
  textLength (r: number, id: string): number {
    return [...String(this.threads[r]!.collection('photos').get(id)?.caption ?? '')].length
  }

  /** Runs one command, or a transaction of several, on replica `r` and checks it against the rules. */
  async command (r: number, commands: Command[]): Promise<void> {
    const thread = this.threads[r]!
    const held = await this.held(r)
    const seq = (held.get(thread.logId) ?? 0) + 1
    const clock = this.oracle.clockFor(held)
    const staged: Write[] = []
    let expected: string | undefined
    const step = async (api: Parameters<typeof runCommand>[0], command: Command): Promise<void> => {
      const coll = 'coll' in command ? command.coll : '_kv'
      const id = idOf(command)
      const before = this.oracle.predict(coll, id, held, staged, clock)
      const effect: Effect = expectedEffect(command, before, () => this.oracle.newLife(), this.textLength(r, id))
      const write = 'write' in effect ? effect.write : undefined
      const actual = await runCommand(api, command, write?.life ?? before.life).then(() => undefined, (e: Error) => e)
      const wanted = 'error' in effect ? effect.error : undefined
      if (actual?.name !== wanted) throw new Error(`replica ${r}: ${JSON.stringify(command)} should ${wanted === undefined ? 'succeed' : `fail with ${wanted}`}, got ${actual === undefined ? 'success' : `${actual.name}: ${actual.message}`}`, { cause: actual })
      if (actual !== undefined) {
        expected = wanted
        throw actual
      }
      if (write !== undefined) staged.push({ ...write, log: thread.logId, seq, sub: staged.length })
    }
    this.note(`replica ${r}: ${commands.length > 1 ? 'transaction ' : ''}${JSON.stringify(commands)}`)
    this.stats.commands += commands.length
    try {
      if (commands.length === 1) await step(thread, commands[0]!)
      else await thread.transaction(async (tx) => { for (const c of commands) await step(tx, c) })
    } catch (error) {
      if ((error as Error).name !== expected) throw error
      staged.length = 0
      this.stats.refused++
    }
    const after = (await this.held(r)).get(thread.logId) ?? 0
    deepStrictEqual(after, staged.length > 0 ? seq : seq - 1, `replica ${r} wrote ${after - seq + 1} records for ${staged.length} writes`)
    if (staged.length > 0) {
      this.oracle.addRecord(thread.logId, seq, held, staged)
      this.stats.records++
    }
  }

  /** Hands part of what `from` holds to `to`, shuffled, some twice, in batches; those missing a dependency wait. */
  async deliver (from: number, to: number): Promise<void> {
    const records = (await this.threads[from]!.exportRecords()).filter(() => this.rng.chance(0.7))
    const queue = this.rng.shuffle([...this.pending[to]!.splice(0), ...records, ...records.filter(() => this.rng.chance(0.2))])
    this.note(`deliver ${queue.length} records ${from} → ${to}`)
    this.stats.deliveries++
    while (queue.length > 0) {
      const batch = queue.splice(0, 1 + this.rng.int(8))
      const outcomes = await this.threads[to]!.ingestMany(batch)
      outcomes.forEach((outcome, i) => {
        if (!(outcome instanceof Error)) return
        if (outcome.name !== 'MissingDependencyError') throw new Error(`replica ${to} refused a record: ${outcome.name}: ${outcome.message}`)
        this.pending[to]!.push(batch[i]!)
      })
    }
  }

  /** Replica `r`'s documents, lost creates and texts are what the rules predict from what it holds. */
  async checkReplica (r: number, where: string): Promise<void> {
    const thread = this.threads[r]!
    const held: Held = await this.held(r)
    const lost: string[] = []
    for (const coll of COLLECTIONS) {
      const predicted: Record<string, unknown> = {}
      for (const id of this.oracle.ids(coll)) {
        const p = this.oracle.predict(coll, id, held)
        if (p.fields !== undefined) predicted[id] = p.fields
        for (const w of p.lost) lost.push(`${coll}/${id}/${w.log}/${w.seq}`)
        const text = thread.collection(coll).get(id)?.caption
        if (typeof text === 'string') {
          const allowed = new Set(alphabet(p.life!))
          ok([...text].every((c) => allowed.has(c)), `${where}: ${coll}/${id} caption ${JSON.stringify(text)} holds characters not written to its life ${p.life}`)
        }
      }
      const actual = Object.fromEntries(thread.collection(coll).find({}).map((d) => [d._id, plainFields(coll, d)]))
      deepStrictEqual(actual, predicted, `${where}: ${coll} differs from what the rules predict`)
    }
    const reported = (await thread.skipped()).map((s) => s.kind === 'create' ? `${s.collection}/${s.id}/${s.log}/${s.seq}` : JSON.stringify(s))
    deepStrictEqual(reported.sort(), lost.sort(), `${where}: skipped() differs from the lost creates the rules predict`)
  }

  /** Everything a replica shows, for comparing replicas. */
  async observe (r: number): Promise<unknown> {
    const t = this.threads[r]!
    return {
      dump: t.dump(),
      skipped: await t.skipped(),
      queries: QUERIES.map(([filter, options]) => t.collection('photos').find(filter, options)),
      kv: t.kv.keys().map((key) => [key, t.kv.get(key)])
    }
  }

  async step (): Promise<void> {
    const { rng, threads } = this
    const r = rng.int(threads.length)
    const roll = rng.int(100)
    if (roll < 45) await this.command(r, [randomCommand(rng, (id) => this.textLength(r, id))])
    else if (roll < 52) await this.command(r, this.transaction(r))
    else if (roll < 84) {
      const to = rng.int(threads.length)
      if (to !== r && (this.groups === undefined || this.groups[r] === this.groups[to])) await this.deliver(r, to)
    } else if (roll < 88) {
      this.groups = this.groups === undefined ? threads.map(() => rng.int(2)) : undefined
      this.note(this.groups === undefined ? 'partition healed' : `partition ${this.groups.join('')}`)
    } else if (roll < 91) {
      await threads[r]!.snapshot()
    } else if (roll < 95) {
      const before = await this.observe(r)
      const from = rng.pick(['log', 'snapshot'] as const)
      await threads[r]!.rebuild(from)
      this.note(`replica ${r}: rebuild('${from}')`)
      deepStrictEqual(await this.observe(r), before, `replica ${r}: rebuild('${from}') changed what it shows`)
    } else await this.checkReplica(r, `replica ${r}`)
  }

  /** A transaction: commands on a few documents, often a delete and re-create of one, or a create and its update. */
  transaction (r: number): Command[] {
    const { rng } = this
    const first = randomCommand(rng, (id) => this.textLength(r, id))
    const commands = [first]
    const id = idOf(first)
    if ('coll' in first && first.coll === 'photos') {
      if (rng.chance(0.4)) commands.push({ kind: 'delete', coll: 'photos', id }, { kind: 'create', coll: 'photos', doc: { _id: id, title: 'Again', likes: rng.int(3) } })
      else if (rng.chance(0.5)) commands.push({ kind: 'update', coll: 'photos', id, set: { likes: rng.chance(0.2) ? -1 : rng.int(5) } })
    }
    // Text edits only on documents the transaction has not touched: the edit reads the caption from the view.
    const touched = new Set(commands.map(idOf))
    for (let i = rng.int(2); i > 0; i--) {
      const extra = randomCommand(rng, (other) => this.textLength(r, other))
      if (extra.kind !== 'text' || !touched.has(idOf(extra))) commands.push(extra)
      touched.add(idOf(extra))
    }
    return commands
  }

  /** Heals the network and exchanges until every replica holds every record. */
  async heal (): Promise<void> {
    this.groups = undefined
    const heads = async (t: ThreadDatabase): Promise<string> => JSON.stringify((await t.heads()).sort((a, b) => a.log < b.log ? -1 : 1))
    for (let round = 0; round < 50; round++) {
      for (let from = 0; from < this.threads.length; from++) {
        for (let to = 0; to < this.threads.length; to++) {
          if (from === to) continue
          const queue = [...this.pending[to]!.splice(0), ...await this.threads[from]!.exportRecords()]
          for (const [i, outcome] of (await this.threads[to]!.ingestMany(queue)).entries()) if (outcome instanceof Error) this.pending[to]!.push(queue[i]!)
        }
      }
      if (new Set(await Promise.all(this.threads.map(heads))).size === 1) return
    }
    throw new Error('replicas still hold different records after healing')
  }
}

/** Runs one seeded simulation; throws with the seed, the failing check and the last steps when a check fails. */
export async function runSimulation (options: SimulationOptions): Promise<SimulationStats> {
  const { seed, replicas } = options
  const open = await openReplicas(replicas, `sim-${seed}`, 5)
  const sim = new Simulation(seededRng(seed), open.threads)
  // The thread's ACL events (the genesis, the invites, the joins) come before any database event.
  for (const head of await open.threads[0]!.heads()) for (let seq = 1; seq <= head.seq; seq++) sim.oracle.addAclRecord(head.log, seq)
  try {
    for (let i = 0; i < (options.steps ?? 60); i++) await sim.step()
    await sim.heal()
    const seen = await Promise.all(open.threads.map(async (_, r) => await sim.observe(r)))
    for (let r = 0; r < replicas; r++) {
      await sim.checkReplica(r, `replica ${r} at the end`)
      deepStrictEqual(seen[r], seen[0], `replica ${r} shows other documents, reports, query results or keys than replica 0`)
    }
    const reference = await referenceFold(await open.threads[0]!.exportRecords(), open.keys, { photos: PHOTO_SCHEMA })
    deepStrictEqual(open.threads[0]!.dump(), reference.view, 'the views differ from the reference fold of the records')
    for (const from of ['log', 'snapshot'] as const) {
      for (let r = 0; r < replicas; r++) {
        await open.threads[r]!.rebuild(from)
        deepStrictEqual(await sim.observe(r), seen[0], `replica ${r} after rebuild('${from}') differs`)
      }
    }
    ok(!JSON.stringify(seen[0]).includes('\ufffd'), 'a replacement character appeared: an edit split a character')
    return { ...sim.stats }
  } catch (error) {
    throw new Error(`simulation seed ${seed} with ${replicas} replicas failed: ${(error as Error).message}\nlast steps:\n  ${sim.trace.join('\n  ')}\nreplay: npm run sim -- --seed ${seed} --replicas ${replicas}`, { cause: error })
  } finally {
    await open.close()
  }
}
