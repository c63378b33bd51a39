/**
 * A thread's side of published snapshots (published-snapshot.ts): making one
 * from its view, adopting a verified one as the view of a thread that shows
 * nothing yet, and checking an adopted one against the records once they are
 * held.
 *
 * Adopting is safe to combine with the records arriving afterwards: applying
 * operations is idempotent (doc-state.ts), so every record, covered by the
 * snapshot or not, is applied as usual and changes nothing the snapshot
 * already holds. The check then folds the held records into a fresh view and
 * compares it with the view shown; a snapshot that added, dropped or altered
 * anything makes them differ (SnapshotMismatchError).
 */
import * as dagCbor from '@ipld/dag-cbor'
import { equalBytes } from '@noble/curves/utils.js'
import { atLeast } from '../acl/roles.ts'
import type { LogIdentity } from '../ids/log-id.ts'
import type { Admission } from '../log/admission.ts'
import type { RecordStore } from '../log/record-store.ts'
import type { RandomSource } from '../crypto/random.ts'
import type { BatchOperation, KeyValueStore } from '../storage/interfaces.ts'
import type { KeyBook } from '../storage/key-book.ts'
import { getValue, putValue } from '../storage/meta-values.ts'
import { createPublishedSnapshot, type OpenedSnapshot, type SnapshotBundle, type SnapshotPosition } from './published-snapshot.ts'
import { SnapshotMismatchError, SnapshotPublisherError, SnapshotVectorError } from './snapshot-errors.ts'
import { textOf } from './text.ts'
import type { ThreadView } from './view.ts'

/** What a thread remembers of the snapshot its view was adopted from, until the check settles it. */
export interface AdoptedSnapshot {
  readonly root: string
  readonly by: string
  readonly positions: readonly SnapshotPosition[]
}

/** How the check of an adopted snapshot ended. */
export type SnapshotCheck =
  | { readonly state: 'none' }
  /** Not every record the snapshot covers is held yet: checked again after the next sync. */
  | { readonly state: 'pending', readonly missing: number }
  | { readonly state: 'verified', readonly root: string, readonly by: string }
  /** The snapshot lied or its publisher was no writer: its publisher is distrusted and the view was rebuilt from the records. */
  | { readonly state: 'refused', readonly root: string, readonly by: string, readonly error: SnapshotMismatchError | SnapshotPublisherError | SnapshotVectorError }

const adoptedKey = (thread: string): string => `snapshot-adopted/${thread}`
const distrustKey = (thread: string): string => `snapshot-distrust/${thread}`

/** The logs whose snapshots this peer no longer uses in `thread`. */
export async function distrustedPublishers (meta: KeyValueStore, thread: string): Promise<Set<string>> {
  return new Set(await getValue<string[]>(meta, distrustKey(thread)) ?? [])
}

/** Makes a snapshot of `view` at the thread's current heads, signed by `identity`, which must be a writer there. */
export async function snapshotOfView (input: {
  readonly thread: string
  readonly view: ThreadView
  readonly records: RecordStore
  readonly keys: KeyBook
  readonly admission: Admission
  readonly identity: LogIdentity
  readonly now: () => number
  readonly thumbs?: readonly string[]
  readonly random?: RandomSource
}): Promise<SnapshotBundle> {
  const { thread, records, keys } = input
  const keyring = await keys.keyring(thread)
  const heads = await records.heads(thread)
  const own = heads.find((h) => h.log === input.identity.logId)
  const role = own === undefined ? 'none' : (await input.admission.state(keyring)).roleAt(own.log, own.seq)
  if (!atLeast(role, 'write')) throw new SnapshotPublisherError(`this peer's log has role ${role} in thread ${thread}; publishing a snapshot needs write`)
  // Sealed with the newest epoch whose read key is held: members who lost read access since cannot open it.
  const latest = (await keys.epochs(thread)).filter((e) => e.readKey !== undefined).at(-1)
  if (latest?.readKey === undefined) throw new SnapshotPublisherError(`no read key of thread ${thread} is held to seal a snapshot with`)
  const acl = await Promise.all((await records.aclRecords(thread)).map(async (r) => ({ log: r.log, record: r.record, blocks: await records.recordBlocks(r.record, keyring, { thread }) })))
  const states = [...input.view.collections].flatMap(([coll, c]) => [...c.states.values()].map((state) => [coll, state] as const))
  return await createPublishedSnapshot({
    thread,
    identity: input.identity,
    epoch: { keyId: latest.keyId, readKey: latest.readKey },
    states,
    clock: input.view.clock,
    positions: heads.map((h) => ({ log: h.log, seq: h.seq, record: h.record })),
    acl,
    time: input.now(),
    thumbs: input.thumbs,
    random: input.random
  })
}

/** The storage writes that remember an adopted snapshot until it is checked. */
export function rememberAdopted (thread: string, opened: OpenedSnapshot): BatchOperation {
  return putValue(adoptedKey(thread), { root: opened.root, by: opened.by, positions: opened.positions } satisfies AdoptedSnapshot)
}

/** A view's documents in a canonical form (text as the string it shows), to compare two views. */
function fingerprint (view: ThreadView): Uint8Array {
  const out: unknown[] = []
  for (const name of [...view.collections.keys()].sort()) {
    const states = [...view.collections.get(name)!.states.values()].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    for (const s of states) {
      out.push([name, s.id, s.current, Object.keys(s.incarnations).sort().map((key) => {
        const inc = s.incarnations[key]!
        return [key, inc.created, inc.deleted, inc.latest, Object.keys(inc.fields).sort().map((f) => [f, inc.fields[f]!.ver, inc.fields[f]!.unset === true, inc.fields[f]!.value ?? null]),
          Object.keys(inc.text).sort().map((t) => [t, textOf(inc.text[t])])]
      })])
    }
  }
  return dagCbor.encode(out)
}

/**
 * Checks the snapshot `thread`'s view was adopted from, if any, once every
 * record it covers is held: the record at each covered position is the one
 * the snapshot names, its publisher was a writer there by the ACL held now,
 * and the records fold to the view shown. `rebuild` folds every held record
 * into a fresh view; `replace` installs it. On any failure the publisher is
 * distrusted and the view replaced; either way the snapshot is forgotten.
 */
export async function checkAdoptedSnapshot (input: {
  readonly thread: string
  readonly meta: KeyValueStore
  readonly records: RecordStore
  readonly keys: KeyBook
  readonly admission: Admission
  readonly view: () => ThreadView
  readonly rebuild: () => Promise<ThreadView>
  readonly replace: (view: ThreadView, extra: readonly BatchOperation[]) => Promise<void>
}): Promise<SnapshotCheck> {
  const { thread, meta, records } = input
  const adopted = await getValue<AdoptedSnapshot>(meta, adoptedKey(thread))
  if (adopted === undefined) return { state: 'none' }
  let missing = 0
  let error: SnapshotMismatchError | SnapshotPublisherError | SnapshotVectorError | undefined
  for (const p of adopted.positions) {
    const held = await records.recordAt(thread, p.log, p.seq)
    if (held === undefined) missing++
    else if (held !== p.record && error === undefined) error = new SnapshotVectorError(`snapshot ${adopted.root} names record ${p.record} at seq ${p.seq} of log ${p.log}, but the log holds ${held} there`)
  }
  if (missing > 0 && error === undefined) return { state: 'pending', missing }
  const by = adopted.positions.find((p) => p.log === adopted.by)
  if (error === undefined) {
    const role = (await input.admission.state(await input.keys.keyring(thread))).roleAt(adopted.by, by?.seq ?? 0)
    if (!atLeast(role, 'write')) error = new SnapshotPublisherError(`log ${adopted.by} had role ${role} at seq ${by?.seq ?? 0} by the thread's full ACL; its snapshot ${adopted.root} is not trusted`)
  }
  const rebuilt = await input.rebuild()
  if (error === undefined && !equalBytes(fingerprint(rebuilt), fingerprint(input.view()))) {
    error = new SnapshotMismatchError(`snapshot ${adopted.root} published by log ${adopted.by} does not match the view its thread's records give; the view was rebuilt from the records and that log's snapshots are no longer used`, adopted.by)
  }
  const forget: BatchOperation = { type: 'delete', key: adoptedKey(thread) }
  if (error === undefined) {
    await meta.batch([forget])
    return { state: 'verified', root: adopted.root, by: adopted.by }
  }
  const distrusted = await distrustedPublishers(meta, thread)
  distrusted.add(adopted.by)
  await input.replace(rebuilt, [forget, putValue(distrustKey(thread), [...distrusted])])
  return { state: 'refused', root: adopted.root, by: adopted.by, error }
}
