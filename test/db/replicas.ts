/**
 * Several replicas of one thread, driven through the public API only: the
 * first creates it and invites the others as admins (each joins through its
 * own invite), and records travel between them as sync would hand them over
 * (`exportRecords()` → `ingestMany()`).
 */
import { openDatabase, type CollectionOptions, type Database, type RecordEnvelope, type ThreadDatabase } from '../../src/core/db/index.ts'
import { deterministicRandom } from '../../src/core/crypto/random.ts'
import { createKeyring, type EpochKeyring } from '../../src/core/log/keyring.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'

/** Replicas of one thread over memory storage. */
export interface Replicas {
  readonly dbs: Database[]
  readonly threads: ThreadDatabase[]
  /** The thread's epoch keys, as every member holds them. */
  readonly keys: EpochKeyring
  close(): Promise<void>
}

/** `count` replicas of a new thread; `seed` makes their keys and IDs repeatable. */
export async function openReplicas (count: number, seed: string, snapshotEvery?: number): Promise<Replicas> {
  const dbs = Array.from({ length: count }, (_, i) => openDatabase({ backend: createMemoryBackend(), random: deterministicRandom(`${seed}-${i}`), snapshotEvery }))
  const first = await dbs[0]!.createThread()
  const threads = [first]
  const invites = []
  for (const db of dbs.slice(1)) {
    const invite = await first.invite({ role: 'admin' })
    invites.push(invite)
    threads.push(await db.acceptInvite(invite))
  }
  // Every replica starts out holding the thread's ACL records (genesis, invites, joins), as after a first sync.
  const acl = (await Promise.all(threads.map(async (t) => await t.exportRecords()))).flat()
  for (const t of threads) await deliver(t, acl)
  return { dbs, threads, keys: createKeyring(invites[0]?.epochs ?? []), close: async () => { for (const db of dbs) await db.close() } }
}

/**
 * Ingests `records` into `to`, retrying those whose dependencies came later in
 * the batch; returns those still missing a dependency after every retry.
 */
export async function deliver (to: ThreadDatabase, records: readonly RecordEnvelope[]): Promise<RecordEnvelope[]> {
  let waiting = [...records]
  for (let round = 0; waiting.length > 0 && round <= records.length; round++) {
    const outcomes = await to.ingestMany(waiting)
    const unmet = waiting.filter((_, i) => (outcomes[i] as Error | undefined)?.name === 'MissingDependencyError')
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome instanceof Error && outcome.name !== 'MissingDependencyError') throw new Error(`record ${waiting[i]!.record} was refused: ${outcome.name}: ${outcome.message}`, { cause: outcome })
    }
    if (unmet.length === waiting.length) break
    waiting = unmet
  }
  return waiting
}

/** Hands every record `from` holds to `to`. */
export async function syncOneWay (from: ThreadDatabase, to: ThreadDatabase): Promise<void> {
  await deliver(to, await from.exportRecords())
}

/** Every replica hands everything to every other, so all hold every record. */
export async function exchange (threads: readonly ThreadDatabase[]): Promise<void> {
  for (const from of threads) for (const to of threads) if (from !== to) await syncOneWay(from, to)
}

/**
 * Runs `check` on every replica, then again on each after rebuilding its view
 * from the log alone, and after rebuilding from its snapshot plus the records
 * after it.
 */
export async function onEveryReplicaAndRebuild (threads: readonly ThreadDatabase[], check: (thread: ThreadDatabase, where: string) => Promise<void> | void): Promise<void> {
  for (const [i, t] of threads.entries()) await check(t, `replica ${i}`)
  for (const from of ['log', 'snapshot'] as const) {
    for (const [i, t] of threads.entries()) {
      await t.rebuild(from)
      await check(t, `replica ${i} after rebuild('${from}')`)
    }
  }
}

/** Opens one collection on every replica with the same options, as every copy of an app does. */
export function declare (threads: readonly ThreadDatabase[], name: string, options: CollectionOptions): void {
  for (const t of threads) t.collection(name, options)
}
