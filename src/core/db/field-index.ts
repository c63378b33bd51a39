/**
 * An in-memory ordered index over one field of a collection's visible
 * documents: a sorted array of (value, id) pairs searched by binary search.
 * Only strings, numbers and booleans are indexed; other values are found by
 * scanning. Ordering follows the query engine's: values compare within their
 * own type, and types never match each other.
 */

type Indexable = string | number | boolean
type Entry = readonly [value: Indexable, id: string]

const typeRank = (v: Indexable): number => typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2

/** Whether a value can be indexed. */
export function isIndexable (v: unknown): v is Indexable {
  return (typeof v === 'number' && !Number.isNaN(v)) || typeof v === 'string' || typeof v === 'boolean'
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

/** An ordered index on one field. */
export class FieldIndex {
  readonly field: string
  private entries: Entry[] = []

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

  /** Replaces the whole index with these (id, value) pairs: one sort instead of n inserts. */
  load (pairs: Iterable<readonly [id: string, value: unknown]>): void {
    const entries: Entry[] = []
    for (const [id, value] of pairs) if (isIndexable(value)) entries.push([value, id])
    this.entries = entries.sort(compare)
  }

  /** Records that document `id` changed from `before` to `after` in this field. */
  update (id: string, before: unknown, after: unknown): void {
    if (before === after) return
    if (isIndexable(before)) {
      const at = this.lowerBound([before, id])
      const found = this.entries[at]
      if (found !== undefined && found[0] === before && found[1] === id) this.entries.splice(at, 1)
    }
    if (isIndexable(after)) this.entries.splice(this.lowerBound([after, id]), 0, [after, id])
  }

  /** IDs of documents whose field equals `value`. */
  equal (value: Indexable): string[] {
    const out: string[] = []
    for (let i = this.lowerBound([value, '']); i < this.entries.length && this.entries[i]![0] === value; i++) out.push(this.entries[i]![1])
    return out
  }

  /** IDs of documents whose field is within `range`, in index order. */
  range (range: IndexRange): string[] {
    const out: string[] = []
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
      out.push(id)
    }
    return out
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
