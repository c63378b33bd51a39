/**
 * Membership benchmarks in Node (in-memory storage, so they measure the
 * engine, not a disk):
 * - adding a member: the admin's invite, the joiner's join record, and the
 *   admin admitting that join (goal: ≤ 100 ms of local work, median);
 * - removing one member of an album of 20: role none and a key rotation
 *   sealed (HPKE) to the 19 others, in one record (goal: ≤ 100 ms, median);
 * - catch-up of an album's records (verify, admit, commit) with admission by
 *   the ACL beside the same commit without it, in the same run (goal: the
 *   per-record cost rises by ≤ 10 %, i.e. a rate ratio ≥ 0.91).
 */
import { openDatabase, type RecordEnvelope, type ThreadDatabase } from '../src/core/db/index.ts'
import { createAdmission } from '../src/core/log/admission.ts'
import type { EpochKeyring } from '../src/core/log/keyring.ts'
import { createRecordStore } from '../src/core/log/record-store.ts'
import { createKeyBook } from '../src/core/storage/key-book.ts'
import { createMemoryBackend } from '../src/core/storage/memory.ts'
import { median, reportRounds } from './lib.ts'

const ALBUM_MEMBERS = 20
const REMOVALS = 7
const CATCH_UP_RECORDS = 4000
const BATCH = 512
const ROUNDS = 7
const GOAL_MS = 100

/** The records of `from`'s own log that `to` does not hold yet, handed over. */
async function handOver (from: ThreadDatabase, to: ThreadDatabase): Promise<number> {
  const start = performance.now()
  const own = (await from.exportRecords()).filter((r) => r.log === from.logId)
  await to.ingestMany(own)
  return performance.now() - start
}

function reportMs (name: string, samples: readonly number[]): boolean {
  const value = median(samples)
  const ok = value <= GOAL_MS
  console.log(`${name.padEnd(58)} ${value.toFixed(1).padStart(8)} ms median (${Math.min(...samples).toFixed(1)}–${Math.max(...samples).toFixed(1)} over ${samples.length}; goal ≤ ${GOAL_MS} ms) ${ok ? 'ok' : 'BELOW GOAL'}`)
  return ok
}

/** An album of `size` members (the owner and writers), each join admitted by the owner; the timings of each add. */
async function buildAlbum (size: number): Promise<{ owner: ThreadDatabase, members: ThreadDatabase[], adds: number[] }> {
  const owner = await openDatabase({ backend: createMemoryBackend() }).createThread({ name: 'Album' })
  const members: ThreadDatabase[] = []
  const adds: number[] = []
  for (let i = 1; i < size; i++) {
    const start = performance.now()
    const invite = await owner.members.invite({ role: 'write' })
    const member = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(invite)
    const local = performance.now() - start
    // Handing over is what sync does; the owner's admission of the join is the part timed here.
    adds.push(local + await handOver(member, owner))
    members.push(member)
  }
  return { owner, members, adds }
}

/** Runs the membership benchmarks; returns whether every goal was met. */
export async function benchMembers (): Promise<boolean> {
  console.log('Members (Node, in-memory storage)')
  const results: boolean[] = []

  const album = await buildAlbum(ALBUM_MEMBERS)
  results.push(reportMs('adding a member (invite, join, admission of the join)', album.adds))

  // Remove one of 20, then bring the album back to 20 with a new member, so every removal is from 20.
  const removals: number[] = []
  for (let i = 0; i < REMOVALS; i++) {
    const target = album.members.shift()!
    const start = performance.now()
    await album.owner.members.remove(target.logId)
    removals.push(performance.now() - start)
    const invite = await album.owner.members.invite({ role: 'write' })
    const member = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(invite)
    await handOver(member, album.owner)
    album.members.push(member)
  }
  results.push(reportMs(`removing a member of ${ALBUM_MEMBERS} (role none + rotation)`, removals))

  results.push(await benchCatchUp())
  return !results.includes(false)
}

/** Catch-up of a 5-member album's records into a fresh store, with and without admission. */
async function benchCatchUp (): Promise<boolean> {
  const ownerBackend = createMemoryBackend()
  const owner = await openDatabase({ backend: ownerBackend }).createThread({ name: 'Album' })
  const members: ThreadDatabase[] = []
  for (let i = 0; i < 4; i++) {
    const member = await openDatabase({ backend: createMemoryBackend() }).acceptInvite(await owner.members.invite({ role: 'write' }))
    await handOver(member, owner)
    members.push(member)
  }
  const writers = [owner, ...members]
  const caption = 'x'.repeat(200)
  for (let i = 0; i < CATCH_UP_RECORDS; i += writers.length * 50) {
    await Promise.all(writers.map(async (w, n) => {
      for (let j = 0; j < 50; j++) await w.collection('photos').create({ _id: `p${n}-${i + j}`, caption })
    }))
  }
  for (const member of members) await handOver(member, owner)
  const keyring = await createKeyBook(ownerBackend.meta).keyring(owner.id)
  const records = await causalOrder(owner.id, await owner.exportRecords(), keyring)

  async function catchUp (withAdmission: boolean): Promise<number> {
    const store = createRecordStore({ backend: createMemoryBackend() })
    const admission = createAdmission({ thread: owner.id, records: store })
    const start = performance.now()
    let stored = 0
    for (let i = 0; i < records.length; i += BATCH) {
      const batch = records.slice(i, i + BATCH).map((r) => ({ ...r, keys: keyring }))
      const verified = await store.verifyMany(owner.id, batch)
      const outcomes = await store.commitVerified(owner.id, verified.map((v) => ({ verified: v })),
        withAdmission ? { admit: async (items) => await admission.admit(items, keyring) } : undefined)
      stored += outcomes.filter((o) => !(o instanceof Error)).length
    }
    if (stored !== records.length) throw new Error(`catch-up stored ${stored} of ${records.length} records`)
    return records.length / ((performance.now() - start) / 1000)
  }

  await catchUp(true) // warm-up
  const withAcl: number[] = []
  const without: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first so a burst of load does not land on one side only.
    if (round % 2 === 0) { without.push(await catchUp(false)); withAcl.push(await catchUp(true)) } else { withAcl.push(await catchUp(true)); without.push(await catchUp(false)) }
  }
  return reportRounds(`catch-up of ${records.length} records with ACL admission`, withAcl, 'the same without admission', without, 1 / 1.1)
}

/**
 * The records in an order where each comes after what it depends on (its
 * prev and its dependencies in other logs), found the way sync finds it:
 * committing what can be committed and trying the rest again.
 */
async function causalOrder (thread: string, records: readonly RecordEnvelope[], keyring: EpochKeyring): Promise<RecordEnvelope[]> {
  const store = createRecordStore({ backend: createMemoryBackend() })
  const ordered: RecordEnvelope[] = []
  let rest = [...records]
  while (rest.length > 0) {
    const outcomes = await store.ingestMany(thread, rest.map((r) => ({ ...r, keys: keyring })))
    const waiting = rest.filter((_, i) => outcomes[i] instanceof Error)
    if (waiting.length === rest.length) throw new Error(`${waiting.length} records depend on records the album does not hold`)
    ordered.push(...rest.filter((_, i) => !(outcomes[i] instanceof Error)))
    rest = waiting
  }
  return ordered
}
