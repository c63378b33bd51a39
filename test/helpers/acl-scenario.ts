/**
 * Builds ACL events of one access-controlled thread the way members would
 * write them: deterministic identities, a real genesis bound to the thread ID,
 * real invite keys and join proofs, real HPKE shares. Each event's `after`
 * holds the author's previous ACL event and the events passed as deps; its ID
 * is the CID of its content, so equal content gives equal IDs.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { encodeAclBody } from '../../src/core/acl/codec.ts'
import { generateEpochKeys, generateX25519KeyPair, sealShares, type X25519KeyPair } from '../../src/core/acl/epoch-keys.ts'
import { generateGenesisNonce, threadIdForGenesis } from '../../src/core/acl/genesis.ts'
import { createInvite, joinProof } from '../../src/core/acl/invite-proof.ts'
import type { AclChange, AclEvent, EpochKeys, KeyId, Role } from '../../src/core/acl/types.ts'
import { deterministicRandom, type RandomSource } from '../../src/core/crypto/random.ts'
import { generateLogIdentity, type LogIdentity } from '../../src/core/ids/log-id.ts'
import { cidOf, cidToString } from '../../src/core/log/blocks.ts'

export interface Person {
  readonly name: string
  readonly identity: LogIdentity
  readonly log: string
  readonly x25519: X25519KeyPair
  seq: number
  last?: AclEvent
}

export interface Invite {
  readonly event: AclEvent
  readonly seed: Uint8Array
  readonly role: Role
  /** The public key later epochs' keys are sealed to. */
  readonly x25519: Uint8Array
}

export class AclScenario {
  readonly random: RandomSource
  readonly people = new Map<string, Person>()
  readonly epochs: Array<Required<EpochKeys>> = []
  readonly events: AclEvent[] = []
  thread = ''

  constructor (seed: string) {
    this.random = deterministicRandom(seed)
  }

  person (name: string): Person {
    let person = this.people.get(name)
    if (person === undefined) {
      const identity = generateLogIdentity(this.random)
      person = { name, identity, log: identity.logId, x25519: generateX25519KeyPair(this.random), seq: 0 }
      this.people.set(name, person)
    }
    return person
  }

  log (name: string): string {
    return this.person(name).log
  }

  /** The newest epoch's key ID. */
  get currentKey (): KeyId {
    return this.epochs[this.epochs.length - 1]!.keyId
  }

  /** An event by `name` with the given changes; `deps` are other events it comes after. */
  event (name: string, changes: readonly AclChange[], options: { deps?: readonly AclEvent[], key?: KeyId } = {}): AclEvent {
    const person = this.person(name)
    const seq = ++person.seq
    const after = [...(person.last === undefined ? [] : [person.last.id]), ...(options.deps ?? []).map((e) => e.id)]
    const body = { v: 3 as const, changes }
    const key = options.key ?? this.currentKey
    const id = cidToString(cidOf(dagCbor.encode({ log: person.log, seq, after, key, body: encodeAclBody(body) })))
    const event: AclEvent = { id, log: person.log, seq, after, key, body }
    person.last = event
    this.events.push(event)
    return event
  }

  genesis (name: string, extra: readonly AclChange[] = []): AclEvent {
    const owner = this.person(name)
    const nonce = generateGenesisNonce(this.random)
    this.thread = threadIdForGenesis(owner.log, nonce).toString()
    const keys = generateEpochKeys(this.random)
    this.epochs.push(keys)
    return this.event(name, [{ type: 'genesis', nonce, followKeyId: keys.keyId, x25519: owner.x25519.publicKey }, ...extra], { key: keys.keyId })
  }

  /** An invite carrying the keys of every epoch so far (or of `keys`). */
  invite (name: string, options: { role: Role, uses?: 1 | null, expires?: number | null, deps?: readonly AclEvent[], keys?: readonly KeyId[], key?: KeyId }): Invite {
    const created = createInvite({ role: options.role, keys: options.keys ?? this.epochs.map((e) => e.keyId), expires: options.expires ?? null, uses: options.uses ?? null, random: this.random })
    return { event: this.event(name, [created.change], { deps: options.deps ?? [], ...(options.key === undefined ? {} : { key: options.key }) }), seed: created.seed, role: options.role, x25519: created.change.x25519 }
  }

  async join (name: string, invite: Invite, options: { time?: number, extra?: readonly AclChange[], key?: KeyId } = {}): Promise<AclEvent> {
    const person = this.person(name)
    const proof = await joinProof(invite.seed, this.thread, person.log)
    const change: AclChange = { type: 'join', invite: invite.event.id, proof, x25519: person.x25519.publicKey, time: options.time ?? 1000 }
    return this.event(name, [change, ...(options.extra ?? [])], { deps: [invite.event], ...(options.key === undefined ? {} : { key: options.key }) })
  }

  /** An invite by `admin` and a join by `name` (a new member of `role`). */
  async admit (admin: string, name: string, role: Role): Promise<AclEvent> {
    return await this.join(name, this.invite(admin, { role }))
  }

  /** A role change of `member` by `admin`, with `at` = the member's seq so far unless given. */
  async role (admin: string, member: string, role: Role, options: { at?: number, deps?: readonly AclEvent[], rotateTo?: ReadonlyArray<{ name: string, role: Role }>, invites?: readonly Invite[] } = {}): Promise<AclEvent> {
    const target = this.person(member)
    const change: AclChange = { type: 'role', member: target.log, role, at: options.at ?? target.seq }
    // As an app does, the change comes after the member's latest ACL event its author has seen.
    const deps = options.deps ?? (target.last === undefined || admin === member ? [] : [target.last])
    if (options.rotateTo === undefined) return this.event(admin, [change], { deps })
    return await this.rotation(admin, options.rotateTo, { before: [change], deps, invites: options.invites ?? [] })
  }

  /** A rotate by `admin` sharing a new epoch's keys to the people named, with their roles, and to the invites given. */
  async rotation (admin: string, recipients: ReadonlyArray<{ name: string, role: Role }>, options: { before?: readonly AclChange[], deps?: readonly AclEvent[], invites?: readonly Invite[] } = {}): Promise<AclEvent> {
    const keys = generateEpochKeys(this.random)
    const shares = await sealShares({
      thread: this.thread,
      keys,
      recipients: [
        ...recipients.map((r) => ({ member: this.log(r.name), x25519: this.person(r.name).x25519.publicKey, role: r.role })),
        ...(options.invites ?? []).map((i) => ({ member: i.event.id, x25519: i.x25519, role: i.role }))
      ],
      random: this.random
    })
    const sealedWith = this.currentKey
    this.epochs.push(keys)
    return this.event(admin, [...(options.before ?? []), { type: 'rotate', epoch: this.epochs.length - 1, followKeyId: keys.keyId, shares }], { deps: options.deps ?? [], key: sealedWith })
  }
}
