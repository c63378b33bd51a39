/**
 * The materialized view of one thread, held in memory and mirrored to storage.
 * `compute` derives the new states an event produces without touching the
 * view; `apply` installs them once their storage batch is durable. So a view
 * in memory never runs ahead of, or behind, what is stored with the log.
 */
import type { BatchOperation } from '../storage/interfaces.ts'
import { putValue } from '../storage/meta-values.ts'
import { applyOperation, emptyDocState, visibleDoc, type Doc, type DocState } from './doc-state.ts'
import type { DbEvent } from './events.ts'
import { FieldIndex } from './field-index.ts'
import type { QuerySource } from './query.ts'
import type { Version } from './version.ts'

/** One collection's documents: states, visible documents and indexes. */
export interface CollectionView extends QuerySource {
  readonly name: string
  readonly states: Map<string, DocState>
  readonly docs: Map<string, Doc>
  readonly indexes: Map<string, FieldIndex>
  /** Declares an index on `field` and fills it from the current documents. */
  ensureIndex(field: string): void
}

/** What one event changes: the new state of each document it touched. */
export interface ViewChange {
  readonly clock: number
  readonly states: ReadonlyArray<{ readonly coll: string, readonly state: DocState }>
}

/** Storage key of a document's state. */
export const viewKey = (thread: string, coll: string, id: string): string =>
  `view/${thread}/${encodeURIComponent(coll)}/${encodeURIComponent(id)}`
/** Key of a document in maps of staged states. */
export const stagedKey = (coll: string, id: string): string => `${coll}\u0000${id}`
/** Storage key of the view's clock. */
export const clockKey = (thread: string): string => `vclock/${thread}`

function createCollectionView (name: string): CollectionView {
  const states = new Map<string, DocState>()
  const docs = new Map<string, Doc>()
  const indexes = new Map<string, FieldIndex>()
  return {
    name,
    states,
    docs,
    indexes,
    get: (id) => docs.get(id),
    all: () => docs.values(),
    get size () { return docs.size },
    ensureIndex (field) {
      if (indexes.has(field)) return
      const index = new FieldIndex(field)
      index.load([...docs].map(([id, doc]) => [id, doc[field]] as const))
      indexes.set(field, index)
    }
  }
}

/** A thread's view. */
export interface ThreadView {
  readonly collections: Map<string, CollectionView>
  readonly clock: number
  collection(name: string): CollectionView
  /**
   * The states `event` (at log/seq) produces, computed against the current
   * view, or against `staged` states (keyed by stagedKey) where it has them.
   */
  compute(event: DbEvent, log: string, seq: number, staged?: ReadonlyMap<string, DocState>): ViewChange
  /** Storage writes that mirror a change. */
  persist(thread: string, change: ViewChange): BatchOperation[]
  /** Installs a change whose writes are durable; returns the collections it touched. */
  apply(change: ViewChange): Set<string>
  /** Every visible document, by collection and ID, in a stable order (for comparisons). */
  dump(): Record<string, Doc[]>
}

/** An empty view, or one restored from stored states. */
export function createThreadView (initial: { clock?: number, states?: Iterable<{ coll: string, state: DocState }> } = {}): ThreadView {
  const collections = new Map<string, CollectionView>()
  let clock = initial.clock ?? 0
  const collection = (name: string): CollectionView => {
    let view = collections.get(name)
    if (view === undefined) {
      view = createCollectionView(name)
      collections.set(name, view)
    }
    return view
  }
  const install = (coll: string, state: DocState): void => {
    const view = collection(coll)
    const before = view.docs.get(state.id)
    const after = visibleDoc(state)
    view.states.set(state.id, state)
    if (after === undefined) view.docs.delete(state.id)
    else view.docs.set(state.id, after)
    for (const index of view.indexes.values()) index.update(state.id, before?.[index.field], after?.[index.field])
  }
  for (const { coll, state } of initial.states ?? []) install(coll, state)

  return {
    collections,
    get clock () { return clock },
    collection,
    compute (event, log, seq, staged) {
      const working = new Map<string, { coll: string, state: DocState }>()
      event.ops.forEach((op, i) => {
        const key = stagedKey(op.coll, op.id)
        const current = working.get(key)?.state ?? staged?.get(key) ?? collections.get(op.coll)?.states.get(op.id) ?? emptyDocState(op.id)
        const ver: Version = [event.clock, log, seq, i]
        working.set(key, { coll: op.coll, state: applyOperation(current, op, ver) })
      })
      return { clock: Math.max(clock, event.clock), states: [...working.values()] }
    },
    persist (thread, change) {
      return [
        ...change.states.map(({ coll, state }) => putValue(viewKey(thread, coll, state.id), state)),
        putValue(clockKey(thread), change.clock)
      ]
    },
    apply (change) {
      const touched = new Set<string>()
      for (const { coll, state } of change.states) {
        install(coll, state)
        touched.add(coll)
      }
      clock = Math.max(clock, change.clock)
      return touched
    },
    dump () {
      const out: Record<string, Doc[]> = {}
      for (const name of [...collections.keys()].sort()) {
        const docs = [...collections.get(name)!.docs.values()].sort((a, b) => a._id < b._id ? -1 : a._id > b._id ? 1 : 0)
        if (docs.length > 0) out[name] = docs
      }
      return out
    }
  }
}
