/**
 * Queries: Mongo-style filter objects evaluated by sift, plus sort, skip and
 * limit. The planner picks one declared index when the filter pins an indexed
 * field (or dotted path) by equality ($eq, a bare value, $in) or by a range
 * ($gt, $gte, $lt, $lte of one type). Indexes are multikey and hand out every
 * document that could match (field-index.ts), and the filter is then checked
 * on every candidate, so an index only narrows, never changes, the answer. The
 * plan says what was used.
 */
import sift from 'sift'
import type { Doc } from './doc-state.ts'
import { InvalidCommandError } from './errors.ts'
import { isIndexable, type FieldIndex, type IndexRange } from './field-index.ts'

/** A Mongo-style filter. */
export type Filter = Record<string, unknown>

/** Sort, skip and limit of a find. */
export interface FindOptions {
  /** Field → 1 (ascending) or -1 (descending), applied in key order. */
  readonly sort?: Readonly<Record<string, 1 | -1>>
  readonly skip?: number
  readonly limit?: number
}

/** How a query was answered. */
export interface QueryPlan {
  /** The indexed field used, or null for a full scan. */
  readonly index: string | null
  readonly kind: 'equality' | 'range' | 'scan'
  /** Documents the filter was evaluated on. */
  readonly scanned: number
  readonly returned: number
}

/** What the planner needs from a collection view. */
export interface QuerySource {
  readonly indexes: ReadonlyMap<string, FieldIndex>
  get(id: string): Doc | undefined
  all(): Iterable<Doc>
  readonly size: number
}

type Candidates = { index: string, kind: 'equality' | 'range', ids: string[] }

const RANGE_OPS = new Set(['$gt', '$gte', '$lt', '$lte'])

function candidatesFor (index: FieldIndex, condition: unknown): Candidates | undefined {
  if (isIndexable(condition)) return { index: index.field, kind: 'equality', ids: index.equal(condition) }
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return undefined
  const ops = Object.entries(condition as Record<string, unknown>)
  // An object with plain keys is matched as a value, not read as operators.
  if (!ops.every(([op]) => op.startsWith('$'))) return undefined
  const eq = ops.find(([op]) => op === '$eq')
  if (eq !== undefined && isIndexable(eq[1])) return { index: index.field, kind: 'equality', ids: index.equal(eq[1]) }
  const inOp = ops.find(([op]) => op === '$in')
  if (inOp !== undefined && Array.isArray(inOp[1]) && inOp[1].every(isIndexable)) {
    return { index: index.field, kind: 'equality', ids: [...new Set(inOp[1].flatMap((v) => index.equal(v)))] }
  }
  const bounds = ops.filter(([op]) => RANGE_OPS.has(op))
  if (bounds.length === 0 || !bounds.every(([, v]) => isIndexable(v))) return undefined
  const type = typeof bounds[0]![1] as IndexRange['type']
  if (!bounds.every(([, v]) => typeof v === type)) return undefined
  let range: IndexRange = { type }
  for (const [op, value] of bounds as Array<[string, string | number | boolean]>) {
    if (op === '$gt' || op === '$gte') {
      if (range.lower === undefined || value > range.lower.value) range = { ...range, lower: { value, exclusive: op === '$gt' } }
    } else if (range.upper === undefined || value < range.upper.value) {
      range = { ...range, upper: { value, exclusive: op === '$lt' } }
    }
  }
  return { index: index.field, kind: 'range', ids: index.range(range) }
}

/** Chooses an index for `filter`, preferring equality over range. */
function plan (source: QuerySource, filter: Filter): Candidates | undefined {
  let best: Candidates | undefined
  for (const [field, condition] of Object.entries(filter)) {
    if (field.startsWith('$')) continue
    const index = source.indexes.get(field)
    if (index === undefined) continue
    const candidates = candidatesFor(index, condition)
    if (candidates === undefined) continue
    if (best === undefined || (candidates.kind === 'equality' && best.kind === 'range') || (candidates.kind === best.kind && candidates.ids.length < best.ids.length)) best = candidates
  }
  return best
}

const typeOrder = (v: unknown): number =>
  v === undefined || v === null ? 0 : typeof v === 'number' ? 1 : typeof v === 'string' ? 2 : typeof v === 'boolean' ? 4 : 3

function compareValues (a: unknown, b: unknown): number {
  const t = typeOrder(a) - typeOrder(b)
  if (t !== 0) return t
  if (typeof a === 'number' || typeof a === 'string' || typeof a === 'boolean') return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0
  return 0
}

/** Runs a query against a view; returns matching documents and the plan. */
export function runQuery (source: QuerySource, filter: Filter = {}, options: FindOptions = {}): { docs: Doc[], plan: QueryPlan } {
  let test: (doc: Doc) => boolean
  try {
    test = sift(filter) as (doc: Doc) => boolean
  } catch (cause) {
    throw new InvalidCommandError(`query is not valid: ${(cause as Error).message}`, { cause })
  }
  const chosen = plan(source, filter)
  let scanned = 0
  const matches: Doc[] = []
  const consider = (doc: Doc | undefined): void => {
    if (doc === undefined) return
    scanned++
    if (test(doc)) matches.push(doc)
  }
  if (chosen !== undefined) for (const id of chosen.ids) consider(source.get(id))
  else for (const doc of source.all()) consider(doc)

  const sortKeys = Object.entries(options.sort ?? {})
  matches.sort((a, b) => {
    for (const [field, direction] of sortKeys) {
      const c = compareValues(a[field], b[field])
      if (c !== 0) return c * direction
    }
    return a._id < b._id ? -1 : a._id > b._id ? 1 : 0
  })
  const skip = options.skip ?? 0
  const docs = matches.slice(skip, options.limit === undefined ? undefined : skip + options.limit)
  return {
    docs,
    plan: { index: chosen?.index ?? null, kind: chosen?.kind ?? 'scan', scanned, returned: docs.length }
  }
}
