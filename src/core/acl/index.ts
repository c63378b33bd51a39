/**
 * Access control for record format 3 (pure, no storage): the ACL body codec,
 * thread key epochs and their HPKE shares, invite capabilities and join
 * proofs, and the evaluation of a thread's ACL events into membership.
 */
export * from './types.ts'
export { ACL_LIMITS, ACL_SIZES, ACL_VERSION, decodeAclBody, encodeAclBody, parseAclBody, SHARE_CT_LENGTH, shareHasReadKey } from './codec.ts'
export { epochKeyId, generateEpochKeys, generateX25519KeyPair, openShare, sealShares, shareAad, x25519KeyPairFromSecret, type ShareRecipient, type X25519KeyPair } from './epoch-keys.ts'
export { ACL_EVALUATION_LIMITS, evaluateAcl } from './evaluate.ts'
export { generateGenesisNonce, threadIdForGenesis } from './genesis.ts'
export { createInvite, generateInviteKey, inviteKeyFromSeed, JOIN_PURPOSE, joinProof, joinProofMessage, verifyJoinProof, verifyJoinProofSync, type CreatedInvite, type InviteKey } from './invite-proof.ts'
export { atLeast, mayChangeDocument, roleRank, type DocumentRule } from './roles.ts'
export { outstandingInvites } from './outstanding-invites.ts'
