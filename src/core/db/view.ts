/**
 * The materialized view of one thread, held in memory and mirrored to storage.
 * `compute` derives the new states an event produces without touching the
 * view; `apply` installs them once their storage batch is durable. So a view
 * in memory never runs ahead of, or behind, what is stored with the log.
 *
 * What is stored is every document's merged state; what is shown is each
 * document that exists and passes its collection's schema (declared by the
 * app, in memory). A state that breaks the schema stays stored and merging,
 * and shows again as soon as a later write makes it pass.
 */
import type { BatchOperation } from '../storage/interfaces.ts'
import { putValue } from '../storage/meta-values.ts'
import { applyOperation, emptyDocState, lostCreates, visibleDoc, type Doc, type DocState, type LostCreate } from './doc-state.ts'
import type { SchemaValidationError } from './errors.ts'
import type { DbEvent } from './events.ts'
import { FieldIndex } from './field-index.ts'
import type { QuerySource } from './query.ts'
import type { SchemaCheck } from './schema.ts'
import type { Version } from './version.ts'

/** One collection's documents: states, visible documents and indexes. */
export interface CollectionView extends QuerySource {
  readonly name: string
  readonly states: Map<string, DocState>
  /** The documents shown: those that exist and pass the collection's schema, if it has one. */
  readonly docs: Map<string, Doc>
  /** Documents that exist but are kept out because they break the schema, with why. */
  readonly hidden: Map<string, SchemaValidationError>
  /** Documents with creates that lost to a later concurrent create, with those creates. */
  readonly lost: Map<string, LostCreate[]>
  readonly indexes: Map<string, FieldIndex>
  /** Declares an index on `field` and fills it from the current documents. */
  ensureIndex(field: string): void
  /**
   * Sets the check documents must pass to be shown (undefined: none) and
   * re-checks every document at once: what is shown is a function of the
   * merged states and the schema, never of the order records arrived in.
   */
  setSchema(check: SchemaCheck | undefined): void
  /** Installs a document's new state. */
  install(state: DocState): void
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
  const hidden = new Map<string, SchemaValidationError>()
  const lost = new Map<string, LostCreate[]>()
  const indexes = new Map<string, FieldIndex>()
  let schema: SchemaCheck | undefined
  const install = (state: DocState): void => {
    const before = docs.get(state.id)
    let after = visibleDoc(state)
    const problem = after === undefined ? undefined : schema?.(after)
    if (problem !== undefined) after = undefined
    states.set(state.id, state)
    if (after === undefined) docs.delete(state.id)
    else docs.set(state.id, after)
    if (problem === undefined) hidden.delete(state.id)
    else hidden.set(state.id, problem)
    const losers = lostCreates(state)
    if (losers.length === 0) lost.delete(state.id)
    else lost.set(state.id, losers)
    for (const index of indexes.values()) index.update(state.id, before, after)
  }
  return {
    name,
    states,
    docs,
    hidden,
    lost,
    indexes,
    get: (id) => docs.get(id),
    all: () => docs.values(),
    get size () { return docs.size },
    ensureIndex (field) {
      if (indexes.has(field)) return
      const index = new FieldIndex(field)
      index.load(docs)
      indexes.set(field, index)
    },
    setSchema (check) {
      if (check === schema) return
      schema = check
      for (const state of states.values()) install(state)
    },
    install
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
  for (const { coll, state } of initial.states ?? []) collection(coll).install(state)

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
        collection(coll).install(state)
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
