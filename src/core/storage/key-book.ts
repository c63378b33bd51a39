/**
 * The key book: per thread, the keys of the thread's epochs this peer holds
 * (record format 3) and, on a member, its own identity in the thread. Every
 * log of a thread seals its records with the keys of a thread epoch, found by
 * key ID. A member with role read or above holds follow and read keys; a
 * member below read and a follower hold follow keys only. Absence is explicit:
 * a member identity not held is a MissingKeyError, never a silent undefined.
 */
import type { AclChange, EpochKeys } from '../acl/types.ts'
import { MissingKeyError } from '../errors.ts'
import { keyIdText } from '../acl/state.ts'
import { createKeyring, type EpochKeyring } from '../log/keyring.ts'
import type { Dependency } from '../log/record-format.ts'
import type { KeyValueStore, StoreCallOptions } from './interfaces.ts'
import { getValue, listValues, putValue } from './meta-values.ts'

/** An epoch's keys as held, with its number (0 for the genesis epoch, then one more per rotation). */
export interface HeldEpoch extends EpochKeys {
  readonly epoch: number
}

/** This peer's identity in one thread: one log, and the X25519 key other members seal epoch keys to. */
export interface MemberSecrets {
  readonly log: string
  /** The Ed25519 seed of the log key. */
  readonly identitySeed: Uint8Array
  /** The X25519 secret key epoch key shares are sealed to. */
  readonly x25519Secret: Uint8Array
  /** The ACL record that opens the log (the owner's genesis, or a join), written at seq 1 if the log is still empty. */
  readonly first?: { readonly changes: readonly AclChange[], readonly deps: readonly Dependency[] }
  /** For a member who joined by a link: the invite record and the link's X25519 secret, to open keys rotations sealed to the invite. */
  readonly invite?: { readonly record: string, readonly x25519Secret: Uint8Array }
}

/** Key book operations. */
export interface KeyBook {
  /** Adds an epoch's keys; a read key already held is kept. */
  putEpoch(thread: string, epoch: HeldEpoch, options?: StoreCallOptions): Promise<void>
  /** Every epoch of the thread held, in epoch order. */
  epochs(thread: string, options?: StoreCallOptions): Promise<HeldEpoch[]>
  /** The held epochs as a keyring, to open records by key ID. */
  keyring(thread: string, options?: StoreCallOptions): Promise<EpochKeyring>
  /** Whether any key of the thread is held. */
  holds(thread: string, options?: StoreCallOptions): Promise<boolean>
  putSelf(thread: string, secrets: MemberSecrets, options?: StoreCallOptions): Promise<void>
  /** This peer's identity in the thread, or MissingKeyError. */
  self(thread: string, options?: StoreCallOptions): Promise<MemberSecrets>
  /** This peer's identity in the thread, if it has one. */
  findSelf(thread: string, options?: StoreCallOptions): Promise<MemberSecrets | undefined>
  /**
   * A number that changes whenever this book adds keys of `thread`: what was
   * derived from its keyring stays valid while it is unchanged.
   */
  changes(thread: string): number
}

const epochKey = (thread: string, keyId: Uint8Array): string => `epoch/${thread}/${keyIdText(keyId)}`
const selfKey = (thread: string): string => `self/${thread}`

/** Threads whose epochs a sole-writer key book keeps in memory at once (the least recently read go first). */
const MAX_CACHED_THREADS = 256

/**
 * A key book stored in `meta`. `soleWriter`: every epoch of `meta` is written
 * through this book (a follower's), so each thread's epochs, once read, are
 * kept in memory and answered from there: a follower asks for a thread's keys
 * on every request, and reading them took about a hundredth of its time under
 * 200 pushing clients. A read that overlapped an epoch's write is not kept.
 */
export function createKeyBook (meta: KeyValueStore, { soleWriter = false }: { readonly soleWriter?: boolean } = {}): KeyBook {
  const added = new Map<string, number>()
  const kept = new Map<string, { readonly epochs: readonly HeldEpoch[], readonly keyring: EpochKeyring }>()
  const keptFor = (thread: string): { readonly epochs: readonly HeldEpoch[], readonly keyring: EpochKeyring } | undefined => {
    const known = kept.get(thread)
    if (known !== undefined) {
      kept.delete(thread)
      kept.set(thread, known)
    }
    return known
  }
  const readEpochs = async (thread: string, options?: StoreCallOptions): Promise<HeldEpoch[]> => {
    const before = added.get(thread) ?? 0
    const out: HeldEpoch[] = []
    for await (const [, epoch] of listValues<HeldEpoch>(meta, `epoch/${thread}/`, options)) out.push(epoch)
    out.sort((a, b) => a.epoch - b.epoch)
    // Threads with no keys are not kept: anyone may ask about any thread.
    if (soleWriter && out.length > 0 && (added.get(thread) ?? 0) === before) {
      if (kept.size >= MAX_CACHED_THREADS) kept.delete(kept.keys().next().value!)
      kept.set(thread, { epochs: out, keyring: createKeyring(out) })
    }
    return out
  }
  const book: KeyBook = {
    async putEpoch (thread, epoch, options) {
      const held = await getValue<HeldEpoch>(meta, epochKey(thread, epoch.keyId), options)
      const readKey = epoch.readKey ?? held?.readKey
      const value: Record<string, unknown> = { keyId: epoch.keyId, epoch: epoch.epoch, followKey: epoch.followKey }
      if (readKey !== undefined) value.readKey = readKey
      if (held !== undefined && held.readKey !== undefined && epoch.readKey === undefined) return
      try {
        await meta.batch([putValue(epochKey(thread, epoch.keyId), value)], options)
      } finally {
        // Counted even when the write failed: it may still have landed, and a spurious change costs only a re-read.
        added.set(thread, (added.get(thread) ?? 0) + 1)
        kept.delete(thread)
      }
    },
    async epochs (thread, callOptions) {
      return [...keptFor(thread)?.epochs ?? await readEpochs(thread, callOptions)]
    },
    async keyring (thread, callOptions) {
      return keptFor(thread)?.keyring ?? createKeyring(await readEpochs(thread, callOptions))
    },
    async holds (thread, callOptions) {
      if (keptFor(thread) !== undefined) return true
      for await (const _ of meta.list(`epoch/${thread}/`, callOptions)) return true
      return false
    },
    async putSelf (thread, secrets, options) {
      await meta.batch([putValue(selfKey(thread), secrets)], options)
    },
    async self (thread, options) {
      const secrets = await book.findSelf(thread, options)
      if (secrets === undefined) throw new MissingKeyError(`this peer has no log of its own in thread ${thread}`)
      return secrets
    },
    findSelf: async (thread, options) => await getValue<MemberSecrets>(meta, selfKey(thread), options),
    changes: (thread) => added.get(thread) ?? 0
  }
  return book
}
