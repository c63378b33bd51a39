/**
 * Admission of records by a thread's access-control list (docs/PROTOCOL.md,
 * "Admission of records"), the same on members and followers. Before a batch
 * of verified records is committed, the thread's ACL is evaluated
 * (`evaluateAcl`) over the ACL events held and those of the batch, and each
 * record is admitted or refused by name:
 * - a log's first record must be the genesis or a join that the ACL admits
 *   (`NotAMemberError`; one whose invite is not held yet is left to the
 *   record store, which answers MissingDependencyError so it comes again);
 * - a later ACL event needs its author to be a member at its seq (an invalid
 *   one is stored and listed by the evaluation, like a skipped payload), and
 *   the log of a member below admin holds at most MAX_ACL_EVENTS_PER_MEMBER
 *   (`AclQuotaError`; one past it is left out of the evaluation);
 * - a database event needs role write at its seq (`RoleError`, or
 *   `NotAMemberError` for a log that is no member there);
 * - every record must be sealed with an epoch the ACL admits (`UnknownEpochError`).
 * ACL events are decoded once and kept by record ID (an ID fixes its content).
 */
import { parseAclBody } from '../acl/codec.ts'
import { prepareJoinProof } from '../acl/invite-proof.ts'
import { evaluateAclInStretches } from '../acl/evaluate.ts'
import { atLeast } from '../acl/roles.ts'
import { equalBytes } from '../acl/epoch-keys.ts'
import { keyIdText } from '../acl/state.ts'
import type { AclBody, AclEvent, AclState, KeyShare } from '../acl/types.ts'
import { AclQuotaError, NotAMemberError, RoleError, ThreadsError, UnknownEpochError } from '../errors.ts'
import type { EpochKeyring } from './keyring.ts'
import { decryptBody, decryptHeader } from './open-record.ts'
import type { RecordNode } from './record-format.ts'
import type { RecordStore } from './record-store.ts'
import type { VerifiedRecord } from './verify-incoming.ts'

/** An ACL event with the links it may come after (kept until the set of ACL record IDs is known). */
export interface DecodedAcl {
  readonly id: string
  readonly log: string
  readonly seq: number
  readonly key: Uint8Array
  readonly body: AclBody
  /** Its prev: an ACL event when it is one of the set (a log is held from seq 1, so its prev is held). */
  readonly prev: string | null
  /** Its dependencies of kind "acl" (a join's invite): the event waits for them. */
  readonly aclDeps: readonly string[]
}

/** The newest record of a log placed so far in judging a batch; seq 0 and no record before its first. */
interface Tip {
  readonly seq: number
  readonly record: string | null
}

/** Most decoded ACL events kept per thread (the evaluation's own bound). */
const MAX_DECODED = 16384

/**
 * Most ACL events the log of a member below admin may hold (its join included). Every ACL change of a
 * thread counts against the events one evaluation takes (ACL_EVALUATION_LIMITS), and any member may
 * change its own profile: without this, a member of role follow filled that bound with profile changes
 * in seconds, after which no admin could change the ACL again, not even to remove it. A log's ACL events
 * before a seq are the same on every replica (a log is held unbroken from seq 1), so each refuses the
 * same ones.
 */
export const MAX_ACL_EVENTS_PER_MEMBER = 256

/** Admission for one thread over a record store. */
export interface Admission {
  /** The ACL as evaluated over the held ACL events. */
  state(keys: EpochKeyring): Promise<AclState>
  /**
   * Each verified record, or the error that refuses it; errors passed in are
   * passed through. `seen`, if given, is handed the ACL evaluated with the
   * batch (a member judges documents by the roles it gives).
   */
  admit(verified: ReadonlyArray<VerifiedRecord | Error>, keys: EpochKeyring, seen?: (state: AclState) => void): Promise<Array<VerifiedRecord | Error>>
  /** Why an ACL event `log` would write at `seq` next is refused for its quota (MAX_ACL_EVENTS_PER_MEMBER), if it is. */
  aclQuotaRefusal(log: string, seq: number, keys: EpochKeyring): Promise<AclQuotaError | undefined>
  /** Key shares sealed to `member` in the held rotate and share events, with the key ID each is for. */
  sharesFor(member: string, keys: EpochKeyring): Promise<Array<{ keyId: Uint8Array, share: KeyShare }>>
}

/** An ACL record decoded with its epoch's follow key; null when its body is no ACL body (stored, but changes nothing). */
export function decodeAclRecord (record: string, node: RecordNode, header: { cid: string, bytes: Uint8Array }, body: { cid: string, bytes: Uint8Array }, followKey: Uint8Array): DecodedAcl | null {
  let parsed: AclBody
  try {
    parsed = parseAclBody(decryptBody(body, decryptHeader(header, followKey).key))
  } catch (error) {
    if (error instanceof ThreadsError) return null
    throw error
  }
  return { id: record, log: node.log, seq: node.seq, key: node.key, body: parsed, prev: node.prev, aclDeps: node.deps.filter((d) => d.kind === 'acl').map((d) => d.record) }
}

/**
 * Evaluates the ACL over `events`: each comes after its prev when that is an
 * ACL event, and after its "acl" dependencies, held or not (an event after
 * one not held waits: this peer's own join, written before its invite
 * record arrived, is admitted once it does).
 */
export async function evaluateDecodedAcl (thread: string, events: readonly DecodedAcl[]): Promise<AclState> {
  const ids = new Set(events.map((e) => e.id))
  return await evaluateAclInStretches(thread, events.map((e): AclEvent => ({
    id: e.id, log: e.log, seq: e.seq, key: e.key, body: e.body, after: [...(e.prev !== null && ids.has(e.prev) ? [e.prev] : []), ...e.aclDeps]
  })))
}

/**
 * Checks the join proofs of `batch`'s joins (against their invites, held or in
 * the batch) ahead of the evaluation, concurrently and off the event loop
 * (invite-proof.ts): the evaluation then finds each answer in memory.
 */
async function prepareJoinProofs (thread: string, held: readonly DecodedAcl[], batch: readonly DecodedAcl[]): Promise<void> {
  const joins = batch.flatMap((event) => event.body.changes.flatMap((change) => change.type === 'join' ? [{ event, change }] : []))
  if (joins.length === 0) return
  const inviteKeys = new Map<string, Uint8Array>()
  for (const event of [...held, ...batch]) {
    for (const change of event.body.changes) if (change.type === 'invite') inviteKeys.set(event.id, change.key)
  }
  await Promise.all(joins.map(async ({ event, change }) => {
    const key = inviteKeys.get(change.invite)
    if (key !== undefined) await prepareJoinProof(key, change.proof, thread, event.log)
  }))
}

/** What judging records asks of an evaluated ACL, answered from maps made once per evaluation. */
interface StateLookups {
  /** Each member's log → the record that admitted it. */
  readonly admittedBy: ReadonlyMap<string, string>
  epochKnown(keyId: Uint8Array): boolean
}

/**
 * Lookups per evaluated state: the state's own `members()` and `epoch()` build
 * sorted lists of every member (an epoch's holders), which for a thread of
 * thousands of members costs more than the rest of judging a record.
 */
const lookups = new WeakMap<AclState, StateLookups>()
function lookupsOf (state: AclState): StateLookups {
  let found = lookups.get(state)
  if (found === undefined) {
    const epochs = new Map<string, boolean>()
    // The records of a batch are mostly of one epoch: its key ID is compared before any text of it is made.
    let lastKey: Uint8Array | undefined
    let lastKnown = false
    found = {
      admittedBy: new Map(state.members().map((m) => [m.log, m.admittedBy])),
      epochKnown (keyId) {
        if (lastKey !== undefined && equalBytes(lastKey, keyId)) return lastKnown
        const id = keyIdText(keyId)
        let known = epochs.get(id)
        if (known === undefined) {
          known = state.epoch(keyId) !== undefined
          epochs.set(id, known)
        }
        lastKey = keyId.slice()
        lastKnown = known
        return known
      }
    }
    lookups.set(state, found)
  }
  return found
}

const overQuotaError = (log: string, count: number): AclQuotaError =>
  new AclQuotaError(`log ${log} holds ${count} ACL events; a member below admin may write at most ${MAX_ACL_EVENTS_PER_MEMBER}`)

/** The key of a set of ACL events: their record IDs in order. */
const setKey = (events: readonly DecodedAcl[]): string => events.map((e) => e.id).sort().join(' ')

/** Admission of `thread`'s records against the ACL events `records` holds. */
export function createAdmission (input: { readonly thread: string, readonly records: RecordStore }): Admission {
  const { thread, records } = input
  /** Decoded ACL events by record ID; null for an ACL record whose body is no ACL body. */
  const decoded = new Map<string, DecodedAcl | null>()

  const remember = (id: string, event: DecodedAcl | null): void => {
    if (decoded.size >= MAX_DECODED) decoded.clear()
    decoded.set(id, event)
  }

  async function heldEvents (keys: EpochKeyring): Promise<DecodedAcl[]> {
    const out: DecodedAcl[] = []
    for (const { record } of await records.aclRecords(thread)) {
      if (!decoded.has(record)) {
        const blocks = await records.recordBlocks(record, keys, { thread })
        const node = await records.readRecord(record, keys)
        remember(record, decodeAclRecord(record, node, blocks[2]!, blocks[3]!, keys.followKey(node.key)!))
      }
      const event = decoded.get(record)
      if (event != null) out.push(event)
    }
    return out
  }

  /**
   * The held ACL events as last listed, with their IDs and the key of their set, and the record
   * store's ACL version then: while it is unchanged (a record store that is the sole writer of its
   * storage says so), a batch with no ACL event is judged without listing or keying the ACL again,
   * which for a thread of thousands of members would cost more than judging the batch.
   */
  let held: { readonly version: number | undefined, readonly events: readonly DecodedAcl[], readonly ids: ReadonlySet<string>, readonly key: string, readonly perLog: ReadonlyMap<string, number> } | undefined
  const heldSet = async (keys: EpochKeyring): Promise<NonNullable<typeof held>> => {
    const version = records.aclVersion(thread)
    if (version !== undefined && held?.version === version) return held
    const events = await heldEvents(keys)
    const perLog = new Map<string, number>()
    for (const event of events) perLog.set(event.log, (perLog.get(event.log) ?? 0) + 1)
    held = { version, events, ids: new Set(events.map((e) => e.id)), key: setKey(events), perLog }
    return held
  }

  /** The last evaluation and the key of the set of events it was made from: most calls find the same set. */
  let last: { readonly key: string, readonly state: Promise<AclState> } | undefined
  const stateOf = async (events: readonly DecodedAcl[], key: string): Promise<AclState> => {
    // Kept as it is being made: concurrent requests over the same set share one evaluation.
    if (last?.key !== key) last = { key, state: evaluateDecodedAcl(thread, events) }
    return await last.state
  }
  const heldState = async (keys: EpochKeyring): Promise<AclState> => {
    const { events, key } = await heldSet(keys)
    return await stateOf(events, key)
  }

  return {
    state: heldState,
    async sharesFor (member, keys) {
      const out: Array<{ keyId: Uint8Array, share: KeyShare }> = []
      for (const event of (await heldSet(keys)).events) {
        for (const change of event.body.changes) {
          if (change.type !== 'rotate' && change.type !== 'share') continue
          const keyId = change.type === 'rotate' ? change.followKeyId : change.key
          for (const share of change.shares) if (share.member === member) out.push({ keyId, share })
        }
      }
      return out
    },
    async aclQuotaRefusal (log, seq, keys) {
      const { events, key, perLog } = await heldSet(keys)
      const count = perLog.get(log) ?? 0
      if (count < MAX_ACL_EVENTS_PER_MEMBER || (await stateOf(events, key)).roleAt(log, seq) === 'admin') return undefined
      return overQuotaError(log, count)
    },
    async admit (verified, keys, seen) {
      const { events: held, ids: heldIds, key: heldKey, perLog } = await heldSet(keys)
      const batch: DecodedAcl[] = []
      // Each log's ACL events taken from this batch so far (beside those held); events past a member's quota stay out of the evaluation.
      const taken = new Map<string, number>()
      const overQuota = new Map<string, AclQuotaError>()
      let heldRoles: AclState | undefined
      for (const v of verified) {
        if (v instanceof Error || v.node.kind !== 'acl' || heldIds.has(v.record)) continue
        // Not kept by record ID (only held events are): anyone holding a follow key may send ACL records that are refused.
        const event = decodeAclRecord(v.record, v.node, v.blocks[2]!, v.blocks[3]!, keys.followKey(v.node.key)!)
        if (event === null) continue
        const count = (perLog.get(event.log) ?? 0) + (taken.get(event.log) ?? 0)
        if (count >= MAX_ACL_EVENTS_PER_MEMBER) {
          // Rare, so the held ACL is evaluated only then (usually it is the evaluation kept already).
          heldRoles ??= await stateOf(held, heldKey)
          if (heldRoles.roleAt(event.log, event.seq) !== 'admin') {
            overQuota.set(v.record, overQuotaError(event.log, count))
            continue
          }
        }
        taken.set(event.log, (taken.get(event.log) ?? 0) + 1)
        batch.push(event)
      }
      await prepareJoinProofs(thread, held, batch)
      const events = batch.length === 0 ? held : [...held, ...batch]
      // The evaluation is a function of the set of events, so a set is keyed by its IDs in order: the
      // evaluation made with a batch's joins is the one the next batch finds once they are held.
      const state = await stateOf(events, batch.length === 0 ? heldKey : setKey(events))
      seen?.(state)
      const inBatch = new Set(verified.flatMap((v) => v instanceof Error ? [] : [v.record]))
      // In batch order: a record after one left to the record store for a missing link is left to it too.
      const deferred = new Set<string>()
      const tips = new Map<string, Tip>()
      const out: Array<VerifiedRecord | Error> = []
      for (const v of verified) out.push(v instanceof Error ? v : overQuota.get(v.record) ?? await judge(v, state, { inBatch, deferred, tips }))
      return out
    }
  }

  /**
   * The newest record of `log` that the batch so far places: its held head, then each record of
   * the batch that extends it. A log is held as an unbroken chain from seq 1 (record-position.ts),
   * so a record at the next seq naming the tip as prev is not held and its prev is there: no
   * lookup per record, where a push is mostly the next records of one log. The lookups it saves
   * only ever let a record through unjudged (a duplicate, or one left to the record store), so a
   * record taken for extending the tip is judged by the ACL like any other.
   */
  async function tipOf (log: string, tips: Map<string, Tip>): Promise<Tip> {
    let tip = tips.get(log)
    if (tip === undefined) {
      const head = await records.head(thread, log)
      tip = head === undefined ? { seq: 0, record: null } : { seq: head.seq, record: head.record }
      tips.set(log, tip)
    }
    return tip
  }

  async function judge (v: VerifiedRecord, state: AclState, batch: { inBatch: ReadonlySet<string>, deferred: Set<string>, tips: Map<string, Tip> }): Promise<VerifiedRecord | Error> {
    const { node, record } = v
    const { inBatch, deferred, tips } = batch
    const tip = await tipOf(node.log, tips)
    const extendsTip = node.seq === tip.seq + 1 && node.prev === tip.record
    // A record already held is a duplicate, whatever the ACL says now: the record store answers so.
    if (!extendsTip && await records.hasRecord(thread, record)) return v
    // A record whose prev or dependencies are neither held nor in this batch (nor placeable in it) is
    // judged once they are: the record store says what is missing, so sync fetches it and sends it again.
    // Most records extend their log's tip and depend on nothing: then there is nothing to look up.
    const prevToFind = node.prev !== null && !extendsTip
    if (prevToFind || node.deps.length > 0) {
      const links = [...(prevToFind ? [node.prev!] : []), ...node.deps.map((d) => d.record)]
      const missing = await Promise.all(links.map(async (id) => deferred.has(id) || (!inBatch.has(id) && !await records.hasRecord(thread, id))))
      if (missing.some(Boolean)) {
        deferred.add(record)
        return v
      }
    }
    // Placed (its outcome below or the record store's decides whether it is stored): the next record of its log may extend it.
    if (extendsTip) tips.set(node.log, { seq: node.seq, record })
    if (node.seq === 1) {
      if (node.kind === 'acl' && lookupsOf(state).admittedBy.get(node.log) === record) return epochChecked(v, state)
      return new NotAMemberError(`record ${record} opens log ${node.log} but is no genesis or join the ACL of thread ${thread} admits`)
    }
    const role = state.roleAt(node.log, node.seq)
    if (role === 'none') return new NotAMemberError(`log ${node.log} is not a member of thread ${thread} at seq ${node.seq}`)
    if (node.kind === 'data' && !atLeast(role, 'write')) return new RoleError(`log ${node.log} has role ${role} at seq ${node.seq}; writing data needs write`)
    return epochChecked(v, state)
  }

  function epochChecked (v: VerifiedRecord, state: AclState): VerifiedRecord | Error {
    if (lookupsOf(state).epochKnown(v.node.key)) return v
    return new UnknownEpochError(`record ${v.record} is sealed with epoch ${keyIdText(v.node.key)}, which the ACL of thread ${thread} does not admit`)
  }
}
