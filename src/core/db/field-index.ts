/**
 * An in-memory ordered, multikey index over one field (a dotted path) of a
 * collection's visible documents: a sorted array of (key, id) pairs searched
 * by binary search. A document's keys are the string, number and boolean
 * values at the path, each element of an array (nested arrays flattened) being
 * one key, since the query engine matches an array when any element matches.
 *
 * An index may narrow a query, never change its answer: the planner re-checks
 * the full filter on every candidate, and candidates always include every
 * document that could match. Documents whose value at the path is of a shape
 * the index does not order (an object, bytes, a path going through an array or
 * a string) are **loose**: they are candidates of every lookup. A document with
 * several keys can match a two-sided range with one key above and another
 * below it, so two-sided ranges also take every multi-key document. Keys
 * compare within their own type, as the query engine does.
 */

type Indexable = string | number | boolean
type Entry = readonly [value: Indexable, id: string]

const typeRank = (v: Indexable): number => typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2

/** Whether a value can be indexed. */
export function isIndexable (v: unknown): v is Indexable {
  return (typeof v === 'number' && !Number.isNaN(v)) || typeof v === 'string' || typeof v === 'boolean'
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object') return false
  const proto: unknown = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** The keys a document has at `path`, and whether it must be a candidate of every lookup instead. */
export function indexKeys (doc: Readonly<Record<string, unknown>>, path: string): { readonly keys: Indexable[], readonly loose: boolean } {
  let value: unknown = doc
  for (const segment of path.split('.')) {
    if (value === undefined || value === null) return { keys: [], loose: false }
    // Through anything but a plain object (an array, a string's length…) the query engine's path
    // rules are its own: leave the document to the filter.
    if (!isPlainObject(value)) return { keys: [], loose: true }
    value = Object.hasOwn(value, segment) ? value[segment] : undefined
  }
  const keys = new Map<string, Indexable>()
  let loose = false
  const add = (v: unknown): void => {
    if (v === undefined || v === null) return
    if (isIndexable(v)) keys.set(`${typeof v}:${String(v)}`, v)
    else if (Array.isArray(v)) for (const element of v) add(element)
    else loose = true
  }
  add(value)
  return { keys: [...keys.values()], loose }
}

function compare (a: Entry, b: Entry): number {
  const r = typeRank(a[0]) - typeRank(b[0])
  if (r !== 0) return r
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0
}

/** A range over one type: bounds are inclusive unless marked exclusive. */
export interface IndexRange {
  readonly lower?: { readonly value: Indexable, readonly exclusive: boolean }
  readonly upper?: { readonly value: Indexable, readonly exclusive: boolean }
  /** The type the range is over (from its bounds). */
  readonly type: 'number' | 'string' | 'boolean'
}

/** An ordered multikey index on one field. */
export class FieldIndex {
  readonly field: string
  private entries: Entry[] = []
  /** Each indexed document's keys, to remove them when it changes. */
  private readonly keysOf = new Map<string, Indexable[]>()
  private readonly loose = new Set<string>()
  private readonly multi = new Set<string>()

  constructor (field: string) {
    this.field = field
  }

  get size (): number { return this.entries.length }

  /** First position whose entry is ≥ `probe`. */
  private lowerBound (probe: Entry): number {
    let lo = 0
    let hi = this.entries.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compare(this.entries[mid]!, probe) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Notes a document's keys; returns its entries. */
  private track (id: string, doc: Readonly<Record<string, unknown>>): Entry[] {
    const { keys, loose } = indexKeys(doc, this.field)
    if (loose) this.loose.add(id)
    if (keys.length > 1) this.multi.add(id)
    if (keys.length > 0) this.keysOf.set(id, keys)
    return keys.map((key) => [key, id] as const)
  }

  private untrack (id: string): void {
    for (const key of this.keysOf.get(id) ?? []) {
      const at = this.lowerBound([key, id])
      const found = this.entries[at]
      if (found !== undefined && found[0] === key && found[1] === id) this.entries.splice(at, 1)
    }
    this.keysOf.delete(id)
    this.loose.delete(id)
    this.multi.delete(id)
  }

  /** Replaces the whole index with these documents: one sort instead of n inserts. */
  load (docs: Iterable<readonly [id: string, doc: Readonly<Record<string, unknown>>]>): void {
    this.keysOf.clear()
    this.loose.clear()
    this.multi.clear()
    const entries: Entry[] = []
    for (const [id, doc] of docs) entries.push(...this.track(id, doc))
    this.entries = entries.sort(compare)
  }

  /** Records that document `id` changed from `before` to `after` (undefined: absent). */
  update (id: string, before: Readonly<Record<string, unknown>> | undefined, after: Readonly<Record<string, unknown>> | undefined): void {
    if (before === after) return
    if (before !== undefined) this.untrack(id)
    if (after !== undefined) for (const entry of this.track(id, after)) this.entries.splice(this.lowerBound(entry), 0, entry)
  }

  /** IDs of the documents that can have `value` at the field. */
  equal (value: Indexable): string[] {
    const out = new Set(this.loose)
    for (let i = this.lowerBound([value, '']); i < this.entries.length && this.entries[i]![0] === value; i++) out.add(this.entries[i]![1])
    return [...out]
  }

  /** IDs of the documents that can have a value within `range` at the field. */
  range (range: IndexRange): string[] {
    const out = new Set(this.loose)
    if (range.lower !== undefined && range.upper !== undefined) for (const id of this.multi) out.add(id)
    const rank = typeRank(range.type === 'number' ? 0 : range.type === 'string' ? '' : false)
    let i = range.lower === undefined
      ? this.firstOfRank(rank)
      : this.lowerBound([range.lower.value, ''])
    for (; i < this.entries.length; i++) {
      const [value, id] = this.entries[i]!
      if (typeRank(value) !== rank) break
      if (range.lower?.exclusive === true && value === range.lower.value) continue
      if (range.upper !== undefined) {
        if (value > range.upper.value || (range.upper.exclusive && value === range.upper.value)) break
      }
      out.add(id)
    }
    return [...out]
  }

  private firstOfRank (rank: number): number {
    let lo = 0
    let hi = this.entries.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (typeRank(this.entries[mid]![0]) < rank) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
