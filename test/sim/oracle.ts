/**
 * The rules of docs/API.md "What concurrent edits do", stated over commands
 * and what each writer had seen, with no knowledge of how events encode them:
 * - every write lands in the total order (Lamport clock, log, seq, place in
 *   its event), the clock being one more than the largest clock its writer held;
 * - a create starts a new life of the document; an update, text edit or
 *   delete acts on the life its writer's view showed (the writer's view being
 *   these same rules over the records it held);
 * - the document shows the life of the latest create, unless a delete that
 *   saw that life ended it; its fields are the life's create and updates,
 *   later ones winning per field;
 * - a create that is not the latest, and that no delete saw, is lost (reported).
 * The simulation predicts every command's outcome and every replica's view
 * from these rules and compares them with what the database does.
 */

/** What a replica holds: log → highest seq (logs are held as prefixes). */
export type Held = ReadonlyMap<string, number>

/** One command's effect on one document. */
export interface Write {
  readonly coll: string
  readonly id: string
  readonly kind: 'create' | 'patch' | 'delete' | 'text'
  /** The record holding it, and its place among the writes of that record. */
  readonly log: string
  readonly seq: number
  readonly sub: number
  /** create: the life it starts; otherwise the life its writer saw. */
  readonly life: number
  readonly fields?: Readonly<Record<string, unknown>>
  readonly set?: Readonly<Record<string, unknown>>
  readonly unset?: readonly string[]
}

/** A document as the rules say a replica shows it (fields other than text fields). */
export interface Predicted {
  /** The life shown, or undefined when the document does not show. */
  readonly life?: number
  readonly fields?: Readonly<Record<string, unknown>>
  /** Creates that lost, oldest first. */
  readonly lost: readonly Write[]
}

const docKey = (coll: string, id: string): string => `${coll}\u0000${id}`

/** The command log and the predictions drawn from it. */
export class Oracle {
  private readonly clocks = new Map<string, number[]>()
  private readonly writes = new Map<string, Write[]>()
  private lives = 0

  /** A fresh life number, for a create about to be made. */
  newLife (): number {
    return ++this.lives
  }

  /** The clock of a record written by a writer holding `held`. */
  clockFor (held: Held): number {
    let max = 0
    for (const [log, seq] of held) max = Math.max(max, this.clocks.get(log)?.[seq - 1] ?? 0)
    return max + 1
  }

  /** Notes an ACL event at (log, seq): it is no database event, so it carries no clock and writes nothing. */
  addAclRecord (log: string, seq: number): void {
    const clocks = this.clocks.get(log) ?? []
    if (clocks.length !== seq - 1) throw new Error(`oracle: record ${log} ${seq} is not the next of its log`)
    clocks.push(0)
    this.clocks.set(log, clocks)
  }

  /** Notes a record written at (log, seq) by a writer holding `held`, with its writes. */
  addRecord (log: string, seq: number, held: Held, writes: readonly Write[]): void {
    const clocks = this.clocks.get(log) ?? []
    if (clocks.length !== seq - 1) throw new Error(`oracle: record ${log} ${seq} is not the next of its log`)
    clocks.push(this.clockFor(held))
    this.clocks.set(log, clocks)
    for (const w of writes) {
      const list = this.writes.get(docKey(w.coll, w.id)) ?? []
      list.push(w)
      this.writes.set(docKey(w.coll, w.id), list)
    }
  }

  /** Every document ID of a collection with at least one write. */
  ids (coll: string): string[] {
    return [...this.writes.keys()].filter((k) => k.startsWith(`${coll}\u0000`)).map((k) => k.slice(coll.length + 1)).sort()
  }

  /**
   * A document as a replica holding `held` shows it; `staged` are writes of a
   * transaction not yet written, at the clock `stagedClock`, after everything held.
   */
  predict (coll: string, id: string, held: Held, staged: readonly Write[] = [], stagedClock = 0): Predicted {
    const clockOf = (w: Write): number => this.clocks.get(w.log)?.[w.seq - 1] ?? stagedClock
    const visible = (this.writes.get(docKey(coll, id)) ?? []).filter((w) => w.seq <= (held.get(w.log) ?? 0))
    const ordered = [...visible, ...staged.filter((w) => w.coll === coll && w.id === id)].sort((a, b) =>
      clockOf(a) - clockOf(b) || (a.log < b.log ? -1 : a.log > b.log ? 1 : 0) || a.seq - b.seq || a.sub - b.sub)
    const ended = new Set(ordered.filter((w) => w.kind === 'delete').map((w) => w.life))
    const creates = ordered.filter((w) => w.kind === 'create')
    const current = creates.at(-1)?.life
    const lost = creates.filter((w) => w.life !== current && !ended.has(w.life))
    if (current === undefined || ended.has(current)) return { lost }
    const fields: Record<string, unknown> = {}
    for (const w of ordered) {
      if (w.life !== current) continue
      if (w.kind === 'create') Object.assign(fields, w.fields)
      if (w.kind === 'patch') {
        Object.assign(fields, w.set)
        for (const name of w.unset ?? []) delete fields[name]
      }
    }
    return { life: current, fields, lost }
  }
}

/** The characters a life's text may hold: one emoji (two UTF-16 units) and one CJK character (one unit) of its own. */
export function alphabet (life: number): [emoji: string, letter: string] {
  return [String.fromCodePoint(0x1f300 + (life % 0x700)), String.fromCodePoint(0x4e00 + (life % 0x5000))]
}
