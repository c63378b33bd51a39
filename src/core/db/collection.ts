/**
 * A collection: typed commands that become operations, and reads from the
 * view. Every command checks its result against the collection's schema before
 * anything is written; a failing command writes nothing. A document the view
 * keeps out for breaking the schema (a peer's write) is absent to commands as
 * to reads: `create` or `upsert` replaces it.
 */
import { base32 } from 'multiformats/bases/base32'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { applyOperation, emptyDocState, visibleDoc, type Doc, type DocState } from './doc-state.ts'
import { DocumentExistsError, DocumentNotFoundError, InvalidCommandError } from './errors.ts'
import { isName, type Fields, type Operation } from './events.ts'
import { runQuery, type Filter, type FindOptions, type QueryPlan } from './query.ts'
import { compileSchema, type JsonSchema } from './schema.ts'
import { editText, type YText } from './text.ts'
import type { CollectionView } from './view.ts'

/** How a collection is declared. */
export interface CollectionOptions {
  /** JSON Schema every document (including `_id`) must satisfy. */
  readonly schema?: JsonSchema
  /** Fields to keep ordered indexes on (equality and range queries). */
  readonly indexes?: readonly string[]
  /** String fields edited collaboratively, merged character by character. */
  readonly text?: readonly string[]
}

/** Where commands read current state and send their operations. */
export interface CommandContext {
  /** The document's state as this context sees it (a transaction includes its own pending operations). */
  read(coll: string, id: string): DocState | undefined
  /** Runs `build` where it sees current state, then writes its operations as one event (or stages them). */
  submit(build: () => Operation[]): Promise<void>
  /** A stable Yjs client ID for this writer. */
  readonly textClientId: number
  readonly random?: RandomSource
}

/** Commands and reads of one collection. */
export interface Collection {
  readonly name: string
  /** Creates a document; returns its ID (given as `_id` or generated). */
  create(doc: Fields & { _id?: string }): Promise<string>
  /** Replaces a document's fields with `doc`'s (writing only what changed). */
  save(doc: Doc): Promise<void>
  /** Creates the document, or replaces it when it exists. */
  upsert(doc: Doc): Promise<void>
  /** Sets some fields of a document. */
  update(id: string, set: Fields): Promise<void>
  delete(id: string): Promise<void>
  /** Edits a text field through Yjs (concurrent edits merge per character). */
  editText(id: string, field: string, edit: (text: YText) => void): Promise<void>
  get(id: string): Doc | undefined
  has(id: string): boolean
  find(filter?: Filter, options?: FindOptions): Doc[]
  /** Runs a query and says how: which index, how many documents scanned. */
  explain(filter?: Filter, options?: FindOptions): QueryPlan
}

/** Sentinel version for a pending operation: after everything stored. */
const PENDING = [Number.MAX_SAFE_INTEGER, '', 0, 0] as const

/** Builds a collection over a view and a command context. */
export function createCollection (name: string, options: CollectionOptions, viewOf: () => CollectionView, context: CommandContext): Collection {
  const schema = options.schema === undefined ? undefined : compileSchema(options.schema)
  const textFields = new Set(options.text ?? [])
  viewOf().setSchema(schema)
  for (const field of options.indexes ?? []) viewOf().ensureIndex(field)

  /** The document as the view shows it: undefined when absent or kept out by the schema. */
  const shown = (state: DocState): Doc | undefined => {
    const doc = visibleDoc(state)
    return doc === undefined || schema?.(doc) !== undefined ? undefined : doc
  }

  const current = (id: string): DocState => context.read(name, id) ?? emptyDocState(id)
  const check = (state: DocState, ops: Operation[]): void => {
    let next = state
    ops.forEach((op, i) => { next = applyOperation(next, op, [PENDING[0], '', 0, i]) })
    const doc = visibleDoc(next)
    const problem = doc === undefined ? undefined : schema?.(doc)
    if (problem !== undefined) throw problem
  }
  const textOps = (state: DocState, id: string, fields: Fields): Operation[] => {
    const ops: Operation[] = []
    for (const field of textFields) {
      const value = fields[field]
      if (value === undefined) continue
      if (typeof value !== 'string') throw new InvalidCommandError(`text field "${field}" must be a string`)
      const update = editText(state.text[field], context.textClientId, (text) => replaceText(text, value))
      if (update !== undefined) ops.push({ op: 'text', coll: name, id, field, update })
    }
    return ops
  }
  const plainFields = (fields: Fields): Fields => {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(fields)) if (key !== '_id' && !textFields.has(key) && value !== undefined) out[key] = value
    return out
  }
  /** The operations that turn an existing document into `doc`: only the fields that differ. */
  const replaceOps = (state: DocState, doc: Doc): Operation[] => {
    const before = shown(state)!
    const wanted = plainFields(doc)
    const set: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(wanted)) if (!sameValue(before[key], value)) set[key] = value
    const unset = Object.keys(before).filter((key) => key !== '_id' && !textFields.has(key) && !(key in wanted))
    const ops: Operation[] = textOps(state, doc._id, doc)
    if (Object.keys(set).length > 0 || unset.length > 0) ops.unshift({ op: 'patch', coll: name, id: doc._id, set, unset })
    check(state, ops)
    return ops
  }
  const mustExist = (id: string): DocState => {
    const state = current(id)
    if (shown(state) === undefined) throw new DocumentNotFoundError(`collection "${name}" has no document "${id}"`)
    return state
  }

  return {
    name,
    async create (doc) {
      const id = doc._id ?? base32.baseEncode((context.random ?? secureRandom)(16))
      if (!isName(id, 1024)) throw new InvalidCommandError('_id must be a non-empty string of at most 1,024 bytes in UTF-8')
      await context.submit(() => {
        const state = current(id)
        if (shown(state) !== undefined) throw new DocumentExistsError(`collection "${name}" already has document "${id}"`)
        const ops: Operation[] = [{ op: 'create', coll: name, id, fields: plainFields(doc) }, ...textOps(state, id, doc)]
        check(state, ops)
        return ops
      })
      return id
    },
    async save (doc) {
      await context.submit(() => replaceOps(mustExist(doc._id), doc))
    },
    async upsert (doc) {
      await context.submit(() => {
        const state = current(doc._id)
        if (shown(state) !== undefined) return replaceOps(state, doc)
        const ops: Operation[] = [{ op: 'create', coll: name, id: doc._id, fields: plainFields(doc) }, ...textOps(state, doc._id, doc)]
        check(state, ops)
        return ops
      })
    },
    async update (id, set) {
      await context.submit(() => {
        const state = mustExist(id)
        const ops: Operation[] = [{ op: 'patch', coll: name, id, set: plainFields(set), unset: [] }, ...textOps(state, id, set)]
        check(state, ops)
        return ops
      })
    },
    async delete (id) {
      await context.submit(() => {
        mustExist(id)
        return [{ op: 'delete', coll: name, id }]
      })
    },
    async editText (id, field, edit) {
      if (!textFields.has(field)) throw new InvalidCommandError(`"${field}" is not a text field of collection "${name}"`)
      await context.submit(() => {
        const state = mustExist(id)
        const update = editText(state.text[field], context.textClientId, edit)
        if (update === undefined) return []
        const ops: Operation[] = [{ op: 'text', coll: name, id, field, update }]
        check(state, ops)
        return ops
      })
    },
    get: (id) => viewOf().docs.get(id),
    has: (id) => viewOf().docs.has(id),
    find: (filter, findOptions) => runQuery(viewOf(), filter, findOptions).docs,
    explain: (filter, findOptions) => runQuery(viewOf(), filter, findOptions).plan
  }
}

/** Replaces a Y.Text's content with `value`, keeping the common prefix and suffix. */
function replaceText (text: YText, value: string): void {
  const old = text.toString()
  let start = 0
  while (start < old.length && start < value.length && old[start] === value[start]) start++
  let end = 0
  while (end < old.length - start && end < value.length - start && old[old.length - 1 - end] === value[value.length - 1 - end]) end++
  if (old.length - start - end > 0) text.delete(start, old.length - start - end)
  if (value.length - start - end > 0) text.insert(start, value.slice(start, value.length - end))
}

function sameValue (a: unknown, b: unknown): boolean {
  if (a === b) return true
  return JSON.stringify(a, jsonBytes) === JSON.stringify(b, jsonBytes)
}

function jsonBytes (_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Array.from(value) : value
}

