/**
 * The mutable membership state evaluation folds events into, and the
 * read-only AclState view of it. Role segments are kept sorted by `fromSeq`;
 * setting a role from a seq replaces the segments after it (except a leave the
 * setter had not seen), so each update costs O(log k) plus what it removes.
 */
import { base16 } from 'multiformats/bases/base16'
import type { AclRefusal, AclState, EpochInfo, InviteInfo, KeyId, MemberInfo, Role, RoleSegment } from './types.ts'

/** A key ID as map key text. */
export const keyIdText = (keyId: KeyId): string => base16.baseEncode(keyId)

/** A role segment and whether it was written by the member's own leave. */
export interface Segment extends RoleSegment {
  readonly leave: boolean
}

export interface MemberRecord {
  readonly log: string
  readonly owner: boolean
  readonly admittedBy: string
  readonly segments: Segment[]
  x25519: Uint8Array
  name?: string
}

export interface EpochRecord {
  readonly keyId: KeyId
  readonly epoch: number
  readonly createdBy: string
  readonly holders: Set<string>
}

export interface InviteRecord extends Omit<InviteInfo, 'usedBy' | 'sharedKeys'> {
  readonly usedBy: string[]
  readonly sharedKeys: KeyId[]
}

/** Everything the ACL events established so far. */
export class MutableAclState {
  readonly thread: string
  owner: string | undefined
  readonly members = new Map<string, MemberRecord>()
  readonly #epochs = new Map<string, EpochRecord>()
  readonly epochOrder: EpochRecord[] = []
  current: EpochRecord | undefined
  readonly invites = new Map<string, InviteRecord>()
  readonly refused: AclRefusal[] = []
  readonly order: string[] = []

  constructor (thread: string) {
    this.thread = thread
  }

  epoch (keyId: KeyId): EpochRecord | undefined {
    return this.#epochs.get(keyIdText(keyId))
  }

  addEpoch (epoch: EpochRecord): void {
    this.#epochs.set(keyIdText(epoch.keyId), epoch)
    this.epochOrder.push(epoch)
    this.current = epoch
  }

  /** The role `log`'s record at `seq` is judged under. */
  roleAt (log: string, seq: number): Role {
    const segments = this.members.get(log)?.segments
    if (segments === undefined) return 'none'
    const i = lastAtOrBefore(segments, seq)
    return i < 0 ? 'none' : segments[i]!.role
  }

  /** The role for `log`'s next record. */
  currentRole (log: string): Role {
    const segments = this.members.get(log)?.segments
    return segments === undefined || segments.length === 0 ? 'none' : segments[segments.length - 1]!.role
  }

  /**
   * `log` has `role` from `fromSeq` on. Later segments are replaced, except a
   * leave after `fromSeq`: the setter had not seen it, and leaving is the
   * member's own decision.
   */
  setRole (log: string, fromSeq: number, role: Role, by: string, leave = false): void {
    const segments = this.members.get(log)!.segments
    const cut = lastAtOrBefore(segments, fromSeq - 1) + 1
    const laterLeave = leave ? undefined : segments.slice(cut).find((s) => s.leave && s.fromSeq > fromSeq)
    segments.length = cut
    segments.push({ fromSeq, role, by, leave })
    if (laterLeave !== undefined) segments.push(laterLeave)
  }

  /** The read-only view handed to callers. */
  view (pending: readonly string[]): AclState {
    const epochInfo = (e: EpochRecord): EpochInfo => ({ keyId: e.keyId, epoch: e.epoch, followKeyId: e.keyId, createdBy: e.createdBy, holders: [...e.holders].sort() })
    const current = this.current === undefined ? undefined : epochInfo(this.current)
    return {
      thread: this.thread,
      owner: this.owner,
      roleAt: (log, seq) => this.roleAt(log, seq),
      segments: (log) => (this.members.get(log)?.segments ?? []).map(({ fromSeq, role, by }) => ({ fromSeq, role, by })),
      members: () => [...this.members.values()].sort((a, b) => (a.log < b.log ? -1 : 1)).map((m): MemberInfo => ({
        log: m.log,
        role: this.currentRole(m.log),
        owner: m.owner,
        x25519: m.x25519,
        admittedBy: m.admittedBy,
        ...(m.name === undefined ? {} : { name: m.name })
      })),
      epoch: (keyId) => {
        const e = this.epoch(keyId)
        return e === undefined ? undefined : epochInfo(e)
      },
      epochs: () => this.epochOrder.map(epochInfo),
      current,
      invite: (id) => {
        const i = this.invites.get(id)
        return i === undefined ? undefined : inviteInfo(i)
      },
      invites: () => [...this.invites.values()].map(inviteInfo),
      order: [...this.order],
      refused: [...this.refused],
      pending
    }
  }
}

const inviteInfo = (i: InviteRecord): InviteInfo => ({ ...i, usedBy: [...i.usedBy], sharedKeys: [...i.sharedKeys] })

/** Index of the last segment with fromSeq ≤ seq, or −1. */
function lastAtOrBefore (segments: readonly RoleSegment[], seq: number): number {
  let low = 0
  let high = segments.length - 1
  let found = -1
  while (low <= high) {
    const mid = (low + high) >> 1
    if (segments[mid]!.fromSeq <= seq) {
      found = mid
      low = mid + 1
    } else {
      high = mid - 1
    }
  }
  return found
}
