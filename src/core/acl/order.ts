/**
 * The ACL order: a deterministic topological order of a set of ACL events.
 * Edges run within a log by seq and across logs along each event's `after`.
 * Among the events ready at a moment, those the caller ranks lower go first
 * (granting before restricting), then by record ID (bytewise on the CID
 * text, which is ASCII). The rank is asked when an event becomes ready, so it
 * may depend on the state built from the events before it. The result depends
 * on the set alone, never on the order it was given in.
 *
 * Events that come after an event not in the set (or after such an event, or
 * in a cycle) never become ready, nor do events parked on a token (see
 * `waitsFor`) that no applied event made available: they are returned as
 * pending.
 * Cost: O((n + e) log n) for n events and e edges (each event has at most its
 * record's dependencies plus one).
 */
import type { AclEvent } from './types.ts'

/** What the scheduler needs from its caller. */
export interface Scheduling {
  /** 0 for events that grant or keep access, 1 for those that restrict. */
  rank(event: AclEvent): number
  /** A token the event must wait for before it can apply (undefined: none). */
  waitsFor(event: AclEvent): string | undefined
  /** Applies the next event of the order; returns the tokens it makes available. */
  apply(event: AclEvent): readonly string[]
}

interface Node {
  readonly event: AclEvent
  waiting: number
  readonly next: Node[]
  rank: number
}

/**
 * Runs `apply` over `events` in ACL order, pausing after each event applied
 * (so a caller may let other work run between stretches of a long
 * evaluation); returns the events that never became ready (sorted by record
 * ID). `events` must hold each record ID and each (log, seq) once (see evaluate.ts).
 */
export function * aclOrderSteps (events: readonly AclEvent[], scheduling: Scheduling): Generator<void, AclEvent[]> {
  const nodes = new Map<string, Node>()
  for (const event of events) nodes.set(event.id, { event, waiting: 0, next: [], rank: 0 })
  const byLog = new Map<string, Node[]>()
  for (const node of nodes.values()) {
    const list = byLog.get(node.event.log)
    if (list === undefined) byLog.set(node.event.log, [node])
    else list.push(node)
  }
  const link = (from: Node, to: Node): void => {
    from.next.push(to)
    to.waiting++
  }
  for (const list of byLog.values()) {
    list.sort((a, b) => a.event.seq - b.event.seq)
    for (let i = 1; i < list.length; i++) link(list[i - 1]!, list[i]!)
  }
  for (const node of nodes.values()) {
    for (const id of new Set(node.event.after)) {
      const before = nodes.get(id)
      // A missing event keeps this one waiting for good: it stays pending.
      if (before === undefined || before === node) node.waiting++
      else if (before.event.log !== node.event.log) link(before, node)
      else if (before.event.seq >= node.event.seq) node.waiting++ // an impossible edge within a log
    }
  }
  const ready = new Heap()
  const release = (node: Node): void => {
    node.rank = scheduling.rank(node.event)
    ready.push(node)
  }
  for (const node of nodes.values()) if (node.waiting === 0) release(node)
  const parked = new Map<string, Node[]>()
  let done = 0
  for (let node = ready.pop(); node !== undefined; node = ready.pop()) {
    const token = scheduling.waitsFor(node.event)
    if (token !== undefined) {
      node.waiting++
      const list = parked.get(token)
      if (list === undefined) parked.set(token, [node])
      else list.push(node)
      continue
    }
    for (const available of scheduling.apply(node.event)) {
      for (const waiting of parked.get(available) ?? []) if (--waiting.waiting === 0) release(waiting)
      parked.delete(available)
    }
    done++
    for (const after of node.next) if (--after.waiting === 0) release(after)
    yield
  }
  if (done === nodes.size) return []
  return [...nodes.values()].filter((n) => n.waiting > 0).map((n) => n.event).sort((a, b) => compareIds(a.id, b.id))
}

/** Bytewise order of record IDs. */
export function compareIds (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

const before = (a: Node, b: Node): boolean => a.rank !== b.rank ? a.rank < b.rank : a.event.id < b.event.id

/** A binary min-heap of ready events by (rank, record ID). */
class Heap {
  readonly #items: Node[] = []

  push (node: Node): void {
    const items = this.#items
    items.push(node)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(items[i]!, items[parent]!)) break
      ;[items[i], items[parent]] = [items[parent]!, items[i]!]
      i = parent
    }
  }

  pop (): Node | undefined {
    const items = this.#items
    const top = items[0]
    const last = items.pop()
    if (items.length === 0 || last === undefined) return top
    items[0] = last
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let least = i
      if (left < items.length && before(items[left]!, items[least]!)) least = left
      if (right < items.length && before(items[right]!, items[least]!)) least = right
      if (least === i) return top
      ;[items[i], items[least]] = [items[least]!, items[i]!]
      i = least
    }
  }
}
