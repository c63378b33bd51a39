/**
 * The state a view keeps per document: a last-writer-wins register per field,
 * the latest create-or-delete (the document's base), and Yjs state per text
 * field. Applying operations is commutative, associative and idempotent, so a
 * replica reaches the same state whatever order operations arrive in, and that
 * state equals folding them in the total order of version.ts:
 * - create(V): the document becomes exactly its fields (older fields vanish);
 * - patch(V): sets and unsets fields, creating the document if absent;
 * - delete(V): the document disappears, until a later create, patch or text;
 * - text(V): merges a Yjs update into one text field.
 * States are never mutated: each application returns a new state.
 */
import type { Fields, Operation } from './events.ts'
import { mergeTextUpdate, textOf } from './text.ts'
import { compareVersions, isAfter, maxVersion, type Version } from './version.ts'

/** One field's register: the value written by the latest write, or a tombstone. */
export interface FieldEntry {
  readonly ver: Version
  readonly value?: unknown
  readonly unset?: true
}

/** Everything a view keeps about one document. */
export interface DocState {
  readonly id: string
  /** Latest create or delete, and which it was. */
  readonly base: Version | null
  readonly baseKind: 'create' | 'delete' | null
  /** Latest patch or text update (these recreate a deleted document). */
  readonly touched: Version | null
  readonly fields: Readonly<Record<string, FieldEntry>>
  /** Yjs state per text field. */
  readonly text: Readonly<Record<string, Uint8Array>>
}

/** A visible document: its fields plus `_id`. */
export type Doc = Fields & { readonly _id: string }

/** The state of a document nothing has been written to yet. */
export function emptyDocState (id: string): DocState {
  return { id, base: null, baseKind: null, touched: null, fields: {}, text: {} }
}

/** Applies one operation at `ver` to a document's state. */
export function applyOperation (state: DocState, op: Operation, ver: Version): DocState {
  switch (op.op) {
    case 'create': {
      const base = maxVersion(state.base, ver)
      const fields = { ...state.fields }
      for (const [name, value] of Object.entries(op.fields)) {
        if (name !== '_id') fields[name] = writeField(fields[name], { ver, value })
      }
      return { ...state, base, baseKind: base === ver ? 'create' : state.baseKind, fields }
    }
    case 'patch': {
      const fields = { ...state.fields }
      for (const [name, value] of Object.entries(op.set)) {
        if (name !== '_id') fields[name] = writeField(fields[name], { ver, value })
      }
      for (const name of op.unset) fields[name] = writeField(fields[name], { ver, unset: true })
      return { ...state, touched: maxVersion(state.touched, ver), fields }
    }
    case 'delete': {
      const base = maxVersion(state.base, ver)
      return { ...state, base, baseKind: base === ver ? 'delete' : state.baseKind }
    }
    case 'text':
      return {
        ...state,
        touched: maxVersion(state.touched, ver),
        text: { ...state.text, [op.field]: mergeTextUpdate(state.text[op.field], op.update) }
      }
  }
}

function writeField (current: FieldEntry | undefined, next: FieldEntry): FieldEntry {
  return current === undefined || compareVersions(next.ver, current.ver) > 0 ? next : current
}

/** Whether the document exists in this state. */
export function exists (state: DocState): boolean {
  return state.baseKind === 'create' || (state.touched !== null && isAfter(state.touched, state.base))
}

/** The visible document, or undefined when it does not exist. */
export function visibleDoc (state: DocState): Doc | undefined {
  if (!exists(state)) return undefined
  // Field order is by name (text fields included), so replicas show identical documents whatever
  // order writes arrived in, and a schema reports their problems in the same order.
  const values = new Map<string, unknown>()
  for (const [name, entry] of Object.entries(state.fields)) {
    if (entry.unset === true) continue
    if (state.base !== null && compareVersions(entry.ver, state.base) < 0) continue
    values.set(name, entry.value)
  }
  for (const [name, text] of Object.entries(state.text)) if (name !== '_id') values.set(name, textOf(text))
  const doc: Record<string, unknown> = { _id: state.id }
  for (const name of [...values.keys()].sort()) doc[name] = values.get(name)
  return doc as Doc
}
