/**
 * Builds the access-control test vectors (test/fixtures/acl-v3.json) from a
 * deterministic scenario: every key, nonce, invite seed and HPKE ephemeral
 * key comes from one seeded stream, and Ed25519 is deterministic, so every
 * output byte is reproducible. The vectors hold the epoch key ID rule, the
 * genesis-bound thread ID, a join proof, an HPKE key share with its inputs,
 * the encoded ACL events of a small history and the state it evaluates to.
 */
import { base16 } from 'multiformats/bases/base16'
import { encodeAclBody } from '../../src/core/acl/codec.ts'
import { epochKeyId, sealShares, shareAad } from '../../src/core/acl/epoch-keys.ts'
import { evaluateAcl } from '../../src/core/acl/evaluate.ts'
import { threadIdForGenesis } from '../../src/core/acl/genesis.ts'
import { generateInviteKey, joinProof, joinProofMessage } from '../../src/core/acl/invite-proof.ts'
import type { AclEvent, AclState } from '../../src/core/acl/types.ts'
import { AclScenario } from './acl-scenario.ts'

const hex = (bytes: Uint8Array): string => base16.baseEncode(bytes)

/** An ACL event as the vectors store it: the body as its encoded bytes. */
export interface EventVector {
  readonly id: string
  readonly log: string
  readonly seq: number
  readonly after: readonly string[]
  readonly key: string
  readonly body: string
}

export function eventVector (event: AclEvent): EventVector {
  return { id: event.id, log: event.log, seq: event.seq, after: event.after, key: hex(event.key), body: hex(encodeAclBody(event.body)) }
}

/** The parts of an evaluated state the vectors pin down. */
export function stateVector (state: AclState): unknown {
  return {
    owner: state.owner,
    members: state.members().map((m) => ({ log: m.log, role: m.role, owner: m.owner, name: m.name ?? null, x25519: hex(m.x25519!), admittedBy: m.admittedBy, segments: state.segments(m.log) })),
    epochs: state.epochs().map((e) => ({ keyId: hex(e.keyId), epoch: e.epoch, createdBy: e.createdBy, holders: e.holders })),
    current: state.current === undefined ? null : hex(state.current.keyId),
    order: state.order,
    refused: state.refused,
    pending: state.pending
  }
}

export async function buildAclVectors (): Promise<unknown> {
  const s = new AclScenario('threads acl vectors v3')
  const genesis = s.genesis('owner', [{ type: 'profile', name: 'Olga' }])
  const genesisChange = genesis.body.changes[0] as { nonce: Uint8Array }
  const single = s.invite('owner', { role: 'write', uses: 1, expires: 1_900_000_000_000 })
  await s.join('writer', single, { time: 1_800_000_000_000, extra: [{ type: 'profile', name: 'Wen' }] })
  const reader = s.invite('owner', { role: 'read' })
  await s.join('reader', reader)
  const late = await s.join('late', single) // single-use and already used: refused
  const outstanding = s.invite('owner', { role: 'read' })
  // The rotation seals the new epoch to the outstanding invite too (by its record ID), not to the used single-use one.
  await s.role('owner', 'writer', 'none', { rotateTo: [{ name: 'owner', role: 'admin' }, { name: 'reader', role: 'read' }], invites: [outstanding] })
  s.event('reader', [{ type: 'leave' }])
  await s.join('viewer', outstanding) // joins after the rotation with a link made before it: holds epoch 1 through the invite's share

  const epoch = s.epochs[1]!
  const reading = s.person('reader')
  const [share] = await sealShares({ thread: s.thread, keys: epoch, recipients: [{ member: reading.log, x25519: reading.x25519.publicKey, role: 'read' }], random: s.random })
  const invite = generateInviteKey(s.random)
  const proof = await joinProof(invite.seed, s.thread, late.log)

  return {
    description: 'Access control of record format 3: see docs/PROTOCOL.md, "Access control (format 3)". Bytes are hex.',
    epochKeyId: { followKey: hex(epoch.followKey), keyId: hex(epochKeyId(epoch.followKey)) },
    genesisThreadId: { owner: s.log('owner'), nonce: hex(genesisChange.nonce), thread: threadIdForGenesis(s.log('owner'), genesisChange.nonce).toString() },
    joinProof: { inviteSeed: hex(invite.seed), invitePublicKey: hex(invite.publicKey), thread: s.thread, log: late.log, message: hex(joinProofMessage(s.thread, late.log)), proof: hex(proof) },
    share: {
      thread: s.thread,
      keyId: hex(epoch.keyId),
      member: reading.log,
      recipientSecret: hex(reading.x25519.secretKey),
      recipientPublic: hex(reading.x25519.publicKey),
      followKey: hex(epoch.followKey),
      readKey: hex(epoch.readKey),
      aad: hex(shareAad(s.thread, epoch.keyId, reading.log)),
      enc: hex(share!.enc),
      ct: hex(share!.ct)
    },
    history: { thread: s.thread, events: s.events.map(eventVector), state: stateVector(evaluateAcl(s.thread, s.events)) }
  }
}
