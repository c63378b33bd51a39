/**
 * The state a view keeps per document. A document lives in **incarnations**:
 * a create starts one (named by a random ID the writer picks), a delete ends
 * the one it names, and every patch or text update writes to the one it names.
 * What shows is the incarnation of the latest create in the total order of
 * version.ts, unless a delete ended it:
 * - an update that did not see a delete names the incarnation the delete
 *   ended, so it changes nothing; a create after the delete starts a fresh
 *   incarnation with none of the old fields or text;
 * - of concurrent creates of one ID, the latest in the order shows whole; the
 *   others are *lost* (reported), with every write made to them;
 * - within an incarnation, fields are last-writer-wins registers and each text
 *   field merges its Yjs updates.
 * Applying operations is commutative, associative and idempotent (a register
 * per field, a merge per text, a monotone `deleted` flag, the latest create
 * chosen by maximum), so a replica reaches the same state whatever order
 * operations arrive in, and that state equals folding them in the total order.
 * States are never mutated: each application returns a new state.
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import type { Fields, Operation } from './events.ts'
import { mergeTextUpdate, textOf } from './text.ts'
import { compareVersions, maxVersion, type Version } from './version.ts'

/** One field's register: the value written by the latest write, or a tombstone. */
export interface FieldEntry {
  readonly ver: Version
  readonly value?: unknown
  readonly unset?: true
}

/** Everything written to one incarnation of a document. */
export interface Incarnation {
  /** The latest create naming it; null while only writes naming it are held (a replay may bring them first). */
  readonly created: Version | null
  /** Ended by a delete: its fields and text are dropped and later writes to it ignored. */
  readonly deleted: boolean
  readonly fields: Readonly<Record<string, FieldEntry>>
  /** Yjs state per text field. */
  readonly text: Readonly<Record<string, Uint8Array>>
  /** Its latest create, patch or text update. */
  readonly latest: Version | null
}

/** Everything a view keeps about one document. */
export interface DocState {
  readonly id: string
  /** The incarnation (hex of its ID) whose create is the latest held, ended or not; null before any create. */
  readonly current: string | null
  readonly incarnations: Readonly<Record<string, Incarnation>>
}

/** A visible document: its fields plus `_id`. */
export type Doc = Fields & { readonly _id: string }

/** A create that lost to a later concurrent create of the same ID, and was never deleted. */
export interface LostCreate {
  readonly inc: string
  readonly created: Version
}

/** The state of a document nothing has been written to yet. */
export function emptyDocState (id: string): DocState {
  return { id, current: null, incarnations: {} }
}

const emptyIncarnation: Incarnation = { created: null, deleted: false, fields: {}, text: {}, latest: null }

/** Applies one operation at `ver` to a document's state. */
export function applyOperation (state: DocState, op: Operation, ver: Version): DocState {
  const key = bytesToHex(op.inc)
  const inc = state.incarnations[key] ?? emptyIncarnation
  let next: Incarnation
  switch (op.op) {
    case 'create':
      next = { ...writeFields(inc, op.fields, [], ver), created: maxVersion(inc.created, ver) }
      break
    case 'patch':
      next = writeFields(inc, op.set, op.unset, ver)
      break
    case 'delete':
      next = { created: inc.created, deleted: true, fields: {}, text: {}, latest: inc.latest }
      break
    case 'text':
      next = inc.deleted ? inc : { ...inc, latest: maxVersion(inc.latest, ver), text: { ...inc.text, [op.field]: mergeTextUpdate(inc.text[op.field], op.update) } }
      break
  }
  const incarnations = { ...state.incarnations, [key]: next }
  const leader = state.current === null ? undefined : incarnations[state.current]!.created!
  const current = next.created !== null && (leader === undefined || compareVersions(next.created, leader) > 0) ? key : state.current
  return { id: state.id, current, incarnations }
}

function writeFields (inc: Incarnation, set: Fields, unset: readonly string[], ver: Version): Incarnation {
  if (inc.deleted) return inc
  const fields = { ...inc.fields }
  for (const [name, value] of Object.entries(set)) if (name !== '_id') fields[name] = writeField(fields[name], { ver, value })
  for (const name of unset) if (name !== '_id') fields[name] = writeField(fields[name], { ver, unset: true })
  return { ...inc, fields, latest: maxVersion(inc.latest, ver) }
}

function writeField (current: FieldEntry | undefined, next: FieldEntry): FieldEntry {
  return current === undefined || compareVersions(next.ver, current.ver) > 0 ? next : current
}

/** The incarnation that shows, with its ID, or undefined when the document does not exist. */
export function liveIncarnation (state: DocState): { readonly key: string, readonly inc: Incarnation } | undefined {
  if (state.current === null) return undefined
  const inc = state.incarnations[state.current]!
  return inc.deleted ? undefined : { key: state.current, inc }
}

/** Whether the document exists in this state. */
export function exists (state: DocState): boolean {
  return liveIncarnation(state) !== undefined
}

/** The visible document, or undefined when it does not exist. */
export function visibleDoc (state: DocState): Doc | undefined {
  const live = liveIncarnation(state)
  if (live === undefined) return undefined
  // Field order is by name (text fields included), so replicas show identical documents whatever
  // order writes arrived in, and a schema reports their problems in the same order.
  const values = new Map<string, unknown>()
  for (const [name, entry] of Object.entries(live.inc.fields)) if (entry.unset !== true) values.set(name, entry.value)
  for (const [name, text] of Object.entries(live.inc.text)) if (name !== '_id') values.set(name, textOf(text))
  const doc: Record<string, unknown> = { _id: state.id }
  for (const name of [...values.keys()].sort()) doc[name] = values.get(name)
  return doc as Doc
}

/** Creates that lost to a later concurrent create and were never deleted, oldest first. */
export function lostCreates (state: DocState): LostCreate[] {
  const lost: LostCreate[] = []
  for (const [inc, { created, deleted }] of Object.entries(state.incarnations)) {
    if (created !== null && !deleted && inc !== state.current) lost.push({ inc, created })
  }
  return lost.sort((a, b) => compareVersions(a.created, b.created))
}

/** Where a command's operations sit in the order before they are written: after everything stored, in staging order. */
export const pendingVersion = (index: number): Version => [Number.MAX_SAFE_INTEGER, '\uffff', Number.MAX_SAFE_INTEGER, index]
