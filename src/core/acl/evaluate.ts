/**
 * ACL evaluation: membership as one pure function of a set of ACL events, the
 * same on every replica that holds the same events, whatever order they
 * arrived in. docs/PROTOCOL.md ("Access control") states the rules; in short:
 *  1. the events run in ACL order (order.ts): within a log by seq, across logs
 *     along `after`; among ready events the granting ones (genesis, invite,
 *     join, share, profile, a role change that does not lower) before the
 *     restricting ones (a role change that lowers, leave, rotate), ties by
 *     record ID — so among concurrent changes the restriction wins;
 *  2. each event is checked against the state built so far (its author's role
 *     at its seq, plus what its own earlier changes did); an event with one
 *     invalid change changes nothing and is listed in `refused`;
 *  3. events that come after an event not in the set wait (`pending`), and so
 *     does an event sealed with an epoch no valid genesis or rotate has
 *     created yet: it runs as soon as one does (its author could only seal
 *     with keys it had received, so their creator exists somewhere).
 * Cost: O(n log n) in the number of events n, besides at most one signature
 * check per join; a set of more than ACL_EVALUATION_LIMITS.maxEvents events
 * is a TooLargeError.
 */
import { MalformedAclError, TooLargeError } from '../errors.ts'
import { LIMITS } from '../log/record-format.ts'
import { ACL_LIMITS, ACL_SIZES } from './codec.ts'
import { aclOrderSteps, compareIds } from './order.ts'
import { roleRank } from './roles.ts'
import { checkChange, type ChangeContext } from './rules.ts'
import { keyIdText, MutableAclState } from './state.ts'
import type { AclEvent, AclState, Role } from './types.ts'

/** Bounds on one evaluation. */
export const ACL_EVALUATION_LIMITS = {
  /** ACL events of one thread (each may hold up to 64 changes and 1024 key shares). */
  maxEvents: 16384
} as const

/** Evaluates the ACL of `thread` from its ACL events (see the module comment). */
export function evaluateAcl (thread: string, events: readonly AclEvent[]): AclState {
  const steps = evaluationSteps(thread, events)
  for (let step = steps.next(); ; step = steps.next()) if (step.done === true) return step.value
}

/** Events applied between two pauses of {@link evaluateAclInStretches}: a few milliseconds of work. */
const EVENTS_PER_STRETCH = 256

/**
 * {@link evaluateAcl}, the same answer, in stretches of a few hundred events
 * with the event loop let run between them (a thread of thousands of members
 * is evaluated without holding a server's other requests for the whole of it).
 */
export async function evaluateAclInStretches (thread: string, events: readonly AclEvent[]): Promise<AclState> {
  const steps = evaluationSteps(thread, events)
  for (let step = steps.next(), applied = 1; ; step = steps.next(), applied++) {
    if (step.done === true) return step.value
    if (applied % EVENTS_PER_STRETCH === 0) await new Promise<void>((resolve) => { setTimeout(resolve, 0) })
  }
}

/** The evaluation, pausing after each event applied. */
function * evaluationSteps (thread: string, events: readonly AclEvent[]): Generator<void, AclState> {
  if (events.length > ACL_EVALUATION_LIMITS.maxEvents) {
    throw new TooLargeError(`a thread's ACL holds ${events.length} events; at most ${ACL_EVALUATION_LIMITS.maxEvents} are evaluated`)
  }
  events.forEach(checkEventShape)
  const state = new MutableAclState(thread)
  const kept = onePerPosition(events, state)
  const pending = yield * aclOrderSteps(kept, {
    rank: (event) => restricts(state, event) ? 1 : 0,
    waitsFor: (event) => event.body.changes.some((c) => c.type === 'genesis') || state.epoch(event.key) !== undefined ? undefined : keyIdText(event.key),
    apply: (event) => {
      const before = state.epochOrder.length
      applyEvent(state, event)
      return state.epochOrder.slice(before).map((e) => keyIdText(e.keyId))
    }
  })
  return state.view(pending.map((e) => e.id))
}

/** Most record IDs an event comes after: its record's dependencies and its prev. */
const MAX_AFTER = LIMITS.maxDependencies + 1

/** Events come from decoded records; one without their shape is a caller's bug, refused before any work. */
function checkEventShape (event: AclEvent, index: number): void {
  const ok = typeof event.id === 'string' && event.id.length > 0 && typeof event.log === 'string' &&
    Number.isSafeInteger(event.seq) && event.seq >= 1 && event.key instanceof Uint8Array && event.key.length === ACL_SIZES.keyId &&
    Array.isArray(event.after) && event.after.length <= MAX_AFTER && event.after.every((id) => typeof id === 'string') &&
    Array.isArray(event.body?.changes) && event.body.changes.length <= ACL_LIMITS.maxChanges
  if (!ok) throw new MalformedAclError(`ACL event ${index} lacks the shape of an ACL event (id, log, seq ≥ 1, 16-byte key, at most ${MAX_AFTER} after, a decoded body)`)
}

/**
 * One event per record ID, and per log position: two records at one (log, seq)
 * are an equivocation; the one with the lower record ID is kept and the other
 * refused, whichever arrived first.
 */
function onePerPosition (events: readonly AclEvent[], state: MutableAclState): AclEvent[] {
  const byId = new Map<string, AclEvent>()
  for (const event of events) if (!byId.has(event.id)) byId.set(event.id, event)
  const byPosition = new Map<string, AclEvent>()
  const dropped: AclEvent[] = []
  for (const event of [...byId.values()].sort((a, b) => compareIds(a.id, b.id))) {
    const position = `${event.log}\n${event.seq}`
    if (byPosition.has(position)) dropped.push(event)
    else byPosition.set(position, event)
  }
  for (const event of dropped) {
    state.refused.push({ id: event.id, change: 0, code: 'duplicate-position', reason: `another record holds seq ${event.seq} of log ${event.log}` })
  }
  return [...byPosition.values()]
}

/** Whether an event restricts access: it leaves, rotates or lowers a member's current role. */
function restricts (state: MutableAclState, event: AclEvent): boolean {
  return event.body.changes.some((c) => c.type === 'leave' || c.type === 'rotate' ||
    (c.type === 'role' && roleRank(c.role) < roleRank(state.currentRole(c.member))))
}

/** Checks every change of an event in order, then applies all of them or none. */
function applyEvent (state: MutableAclState, event: AclEvent): void {
  state.order.push(event.id)
  const ctx: ChangeContext = {
    state,
    event,
    authorRole: state.roleAt(event.log, event.seq),
    roles: new Map<string, Role>(),
    newEpochs: new Set<string>(),
    effects: []
  }
  for (const [index, change] of event.body.changes.entries()) {
    const refusal = checkChange(ctx, change, index)
    if (refusal !== undefined) {
      state.refused.push({ id: event.id, change: index, ...refusal })
      return
    }
  }
  for (const effect of ctx.effects) effect()
}
