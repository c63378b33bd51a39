/**
 * An access-controlled thread's ID is bound to its owner: its random part is
 * sha256(dag-cbor({ owner: ownerLogId, nonce })) for 16 random bytes of nonce,
 * so whoever presents a genesis with that owner and nonce, signed by the
 * owner's log key, is the owner, and nobody else can claim the thread.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { MalformedAclError } from '../errors.ts'
import { threadIdWithRandom, ThreadVariant, type ThreadId } from '../ids/thread-id.ts'
import { ACL_SIZES } from './codec.ts'

/** The thread ID a genesis by `ownerLogId` with `nonce` creates. */
export function threadIdForGenesis (ownerLogId: string, nonce: Uint8Array): ThreadId {
  if (nonce.length !== ACL_SIZES.nonce) throw new MalformedAclError(`a genesis nonce is ${ACL_SIZES.nonce} bytes, not ${nonce.length}`)
  return threadIdWithRandom({ variant: ThreadVariant.AccessControlled, random: sha256(dagCbor.encode({ owner: ownerLogId, nonce })) })
}

/** A fresh genesis nonce. */
export function generateGenesisNonce (random: RandomSource = secureRandom): Uint8Array {
  return random(ACL_SIZES.nonce)
}
