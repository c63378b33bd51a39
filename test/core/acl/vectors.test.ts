import { readFileSync } from 'node:fs'
import { base16 } from 'multiformats/bases/base16'
import { describe, expect, it } from 'vitest'
import { decodeAclBody, encodeAclBody } from '../../../src/core/acl/codec.ts'
import { epochKeyId, openShare, shareAad } from '../../../src/core/acl/epoch-keys.ts'
import { evaluateAcl } from '../../../src/core/acl/evaluate.ts'
import { threadIdForGenesis } from '../../../src/core/acl/genesis.ts'
import { verifyJoinProof } from '../../../src/core/acl/invite-proof.ts'
import type { AclEvent } from '../../../src/core/acl/types.ts'
import { buildAclVectors, stateVector, type EventVector } from '../../helpers/acl-vectors.ts'

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/acl-v3.json', import.meta.url), 'utf8'))
const bytes = (hex: string): Uint8Array => base16.baseDecode(hex)
const hex = (b: Uint8Array): string => base16.baseEncode(b)

describe('access-control test vectors (format 3)', () => {
  it('are reproduced exactly by this implementation', async () => {
    expect(await buildAclVectors()).toEqual(fixture)
  })

  it('decode from their stored bytes and evaluate to the stored state', () => {
    const events: AclEvent[] = fixture.history.events.map((v: EventVector) => {
      const body = decodeAclBody(bytes(v.body))
      expect(hex(encodeAclBody(body))).toBe(v.body)
      return { id: v.id, log: v.log, seq: v.seq, after: v.after, key: bytes(v.key), body }
    })
    expect(stateVector(evaluateAcl(fixture.history.thread, events))).toEqual(fixture.history.state)
  })

  it('hold the key ID, thread ID and join proof rules', async () => {
    expect(hex(epochKeyId(bytes(fixture.epochKeyId.followKey)))).toBe(fixture.epochKeyId.keyId)
    const g = fixture.genesisThreadId
    expect(threadIdForGenesis(g.owner, bytes(g.nonce)).toString()).toBe(g.thread)
    const p = fixture.joinProof
    expect(await verifyJoinProof(bytes(p.invitePublicKey), bytes(p.proof), p.thread, p.log)).toBe(true)
  })

  it('open the stored HPKE share with the recipient secret', async () => {
    const s = fixture.share
    expect(hex(shareAad(s.thread, bytes(s.keyId), s.member))).toBe(s.aad)
    const keys = await openShare({ thread: s.thread, share: { member: s.member, enc: bytes(s.enc), ct: bytes(s.ct) }, keyId: bytes(s.keyId), secretKey: bytes(s.recipientSecret), log: s.member })
    expect({ followKey: hex(keys.followKey), readKey: hex(keys.readKey!) }).toEqual({ followKey: s.followKey, readKey: s.readKey })
  })
})
