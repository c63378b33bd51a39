/**
 * A keyring: the keys of a thread's epochs this peer holds, found by key ID.
 * Records name the epoch that seals them (record format 3), so opening a
 * record looks its keys up here; a key ID not held is answered with
 * undefined and the caller says UnknownEpochError or MissingKeyError.
 */
import type { EpochKeys } from '../acl/types.ts'
import { keyIdText } from '../acl/state.ts'

/** The follow keys a reader holds, by key ID (all a follower needs). */
export interface FollowKeys {
  followKey(keyId: Uint8Array): Uint8Array | undefined
}

/** Every key of a thread's epochs this peer holds. */
export interface EpochKeyring extends FollowKeys {
  readKey(keyId: Uint8Array): Uint8Array | undefined
  /** Every epoch held. */
  readonly epochs: readonly EpochKeys[]
}

/** A keyring over the given epochs (a later entry for the same key ID adds what an earlier one lacked). */
export function createKeyring (epochs: Iterable<EpochKeys>): EpochKeyring {
  const byId = new Map<string, EpochKeys>()
  for (const epoch of epochs) {
    const id = keyIdText(epoch.keyId)
    const held = byId.get(id)
    byId.set(id, held === undefined || epoch.readKey !== undefined ? epoch : held)
  }
  return {
    followKey: (keyId) => byId.get(keyIdText(keyId))?.followKey,
    readKey: (keyId) => byId.get(keyIdText(keyId))?.readKey,
    epochs: [...byId.values()]
  }
}
