/**
 * A collection: typed commands that become operations, and reads from the
 * view. Each command's operations are taken as peers will decode them, then
 * its result is checked against the collection's schema, after everything
 * staged before it (a transaction's earlier commands); a failing command
 * writes nothing. Every operation names the incarnation it was written
 * against (doc-state.ts). A document the view keeps out for breaking the
 * schema (a peer's write) is absent to commands as to reads: `create` or
 * `upsert` ends its incarnation and starts a fresh one. The IDs `create`
 * makes follow the collection's `access` rule (document-access.ts).
 */
import { base32 } from 'multiformats/bases/base32'
import { hexToBytes } from '@noble/hashes/utils.js'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { applyOperation, emptyDocState, liveIncarnation, pendingVersion, visibleDoc, type Doc, type DocState } from './doc-state.ts'
import type { DocumentRule } from '../acl/roles.ts'
import { boundId } from './document-access.ts'
import { DocumentExistsError, DocumentNotFoundError, InvalidCommandError } from './errors.ts'
import { INCARNATION_BYTES, isName, ownOperations, type Fields, type Operation } from './events.ts'
import { runQuery, type Filter, type FindOptions, type QueryPlan } from './query.ts'
import { compileSchema, type JsonSchema } from './schema.ts'
import { editText, replaceText, type TextEditor } from './text.ts'
import type { CollectionView } from './view.ts'

/** How a collection is declared. */
export interface CollectionOptions {
  /** JSON Schema every document (including `_id`) must satisfy. */
  readonly schema?: JsonSchema
  /** Fields to keep ordered indexes on (equality and range queries). */
  readonly indexes?: readonly string[]
  /** String fields edited collaboratively, merged character by character. */
  readonly text?: readonly string[]
  /**
   * Who may change its documents (docs/API.md, "Who may change a document"):
   * `creator` (the default) gives each document `create` makes an ID bound to
   * this member's log, so only this member and members of role delete or above
   * may change it, on every replica; `shared` gives unbound IDs, which every
   * member of role write may change.
   */
  readonly access?: DocumentRule
}

/** Where commands read current state and send their operations. */
export interface CommandContext {
  /** The document's state as this context sees it (a transaction includes its own staged operations). */
  read(coll: string, id: string): DocState | undefined
  /** How many operations are staged ahead of the next command (a transaction's own; 0 otherwise). */
  staged(): number
  /** Runs `build` where it sees current state, then writes its operations as one event (or stages them). */
  submit(build: () => Operation[]): Promise<void>
  /** A stable Yjs client ID for this writer. */
  readonly textClientId: number
  /** This member's log: documents it creates in a `creator` collection get IDs bound to it. */
  readonly log: string
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
  /** Edits a text field, in code points (concurrent edits merge per character). */
  editText(id: string, field: string, edit: (text: TextEditor) => void): Promise<void>
  get(id: string): Doc | undefined
  has(id: string): boolean
  /**
   * The log whose create made the document's current incarnation (its author,
   * as the signed log says, whatever its fields claim); undefined when the
   * document is not shown.
   */
  creator(id: string): string | undefined
  find(filter?: Filter, options?: FindOptions): Doc[]
  /** Runs a query and says how: which index, how many documents scanned. */
  explain(filter?: Filter, options?: FindOptions): QueryPlan
}

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

  /** A fresh document ID: bound to this member's log in a `creator` collection. */
  const newId = (): string => {
    const random = base32.baseEncode((context.random ?? secureRandom)(16))
    return (options.access ?? 'creator') === 'creator' ? boundId(context.log, random) : random
  }
  const current = (id: string): DocState => context.read(name, id) ?? emptyDocState(id)
  /**
   * The command's operations as peers will decode them, once its result passes
   * the schema, checked after everything staged before it.
   */
  const checked = (state: DocState, built: Operation[]): Operation[] => {
    const ops = ownOperations(built)
    const first = context.staged()
    const next = ops.reduce((s, op, i) => applyOperation(s, op, pendingVersion(first + i)), state)
    const doc = visibleDoc(next)
    const problem = doc === undefined ? undefined : schema?.(doc)
    if (problem !== undefined) throw problem
    return ops
  }
  const textOps = (text: Readonly<Record<string, Uint8Array>>, id: string, inc: Uint8Array, fields: Fields): Operation[] => {
    const ops: Operation[] = []
    for (const field of textFields) {
      const value = fields[field]
      if (value === undefined) continue
      if (typeof value !== 'string') throw new InvalidCommandError(`text field "${field}" must be a string`)
      const update = editText(text[field], context.textClientId, (t) => { replaceText(t, value) })
      if (update !== undefined) ops.push({ op: 'text', coll: name, id, inc, field, update })
    }
    return ops
  }
  const plainFields = (fields: Fields): Fields => {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(fields)) if (key !== '_id' && !textFields.has(key) && value !== undefined) out[key] = value
    return out
  }
  /** The incarnation a command on a shown document writes to. */
  const live = (state: DocState): { inc: Uint8Array, text: Readonly<Record<string, Uint8Array>> } =>
    ({ inc: hexToBytes(state.current!), text: state.incarnations[state.current!]!.text })
  /**
   * The operations that start a fresh incarnation holding `doc`. An incarnation
   * still current but kept out by the schema is ended first, so it is replaced,
   * not reported as a lost create.
   */
  const createOps = (state: DocState, id: string, doc: Fields): Operation[] => {
    const inc = (context.random ?? secureRandom)(INCARNATION_BYTES)
    const ops: Operation[] = [{ op: 'create', coll: name, id, inc, fields: plainFields(doc) }, ...textOps({}, id, inc, doc)]
    if (state.current !== null && !state.incarnations[state.current]!.deleted) ops.unshift({ op: 'delete', coll: name, id, inc: hexToBytes(state.current) })
    return checked(state, ops)
  }
  /** The operations that turn an existing document into `doc`: only the fields that differ. */
  const replaceOps = (state: DocState, doc: Doc): Operation[] => {
    const before = shown(state)!
    const { inc, text } = live(state)
    const wanted = plainFields(doc)
    const set: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(wanted)) if (!sameValue(before[key], value)) set[key] = value
    const unset = Object.keys(before).filter((key) => key !== '_id' && !textFields.has(key) && !(key in wanted))
    const ops: Operation[] = textOps(text, doc._id, inc, doc)
    if (Object.keys(set).length > 0 || unset.length > 0) ops.unshift({ op: 'patch', coll: name, id: doc._id, inc, set, unset })
    return checked(state, ops)
  }
  const mustExist = (id: string): DocState => {
    const state = current(id)
    if (shown(state) === undefined) throw new DocumentNotFoundError(`collection "${name}" has no document "${id}"`)
    return state
  }

  return {
    name,
    async create (doc) {
      const id = doc._id ?? newId()
      if (!isName(id, 1024)) throw new InvalidCommandError('_id must be a non-empty string of at most 1,024 bytes in UTF-8')
      await context.submit(() => {
        const state = current(id)
        if (shown(state) !== undefined) throw new DocumentExistsError(`collection "${name}" already has document "${id}"`)
        return createOps(state, id, doc)
      })
      return id
    },
    async save (doc) {
      await context.submit(() => replaceOps(mustExist(doc._id), doc))
    },
    async upsert (doc) {
      await context.submit(() => {
        const state = current(doc._id)
        return shown(state) !== undefined ? replaceOps(state, doc) : createOps(state, doc._id, doc)
      })
    },
    async update (id, set) {
      await context.submit(() => {
        const state = mustExist(id)
        const { inc, text } = live(state)
        return checked(state, [{ op: 'patch', coll: name, id, inc, set: plainFields(set), unset: [] }, ...textOps(text, id, inc, set)])
      })
    },
    async delete (id) {
      await context.submit(() => [{ op: 'delete', coll: name, id, inc: live(mustExist(id)).inc }])
    },
    async editText (id, field, edit) {
      if (!textFields.has(field)) throw new InvalidCommandError(`"${field}" is not a text field of collection "${name}"`)
      await context.submit(() => {
        const state = mustExist(id)
        const { inc, text } = live(state)
        const update = editText(text[field], context.textClientId, edit)
        return update === undefined ? [] : checked(state, [{ op: 'text', coll: name, id, inc, field, update }])
      })
    },
    get: (id) => viewOf().docs.get(id),
    has: (id) => viewOf().docs.has(id),
    creator (id) {
      const state = viewOf().docs.has(id) ? viewOf().states.get(id) : undefined
      // A version is [clock, log, seq, op]: the log that wrote the incarnation's latest create.
      return state === undefined ? undefined : liveIncarnation(state)?.inc.created?.[1]
    },
    find: (filter, findOptions) => runQuery(viewOf(), filter, findOptions).docs,
    explain: (filter, findOptions) => runQuery(viewOf(), filter, findOptions).plan
  }
}

function sameValue (a: unknown, b: unknown): boolean {
  if (a === b) return true
  return JSON.stringify(a, jsonBytes) === JSON.stringify(b, jsonBytes)
}

function jsonBytes (_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Array.from(value) : value
}

