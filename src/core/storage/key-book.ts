/**
 * The key book: per thread and log, the keys this peer holds. A writer holds
 * its identity seed, read and follow keys; a member holds read and follow keys;
 * a follower holds follow keys only. Absence is explicit: asking for a key that
 * is not held is a MissingKeyError, never a silent undefined.
 */
import { MissingKeyError } from '../errors.ts'
import type { KeyValueStore, StoreCallOptions } from './interfaces.ts'
import { getValue, listValues, putValue } from './meta-values.ts'

/** The keys held for one log. */
export interface LogKeys {
  readonly followKey: Uint8Array
  readonly readKey?: Uint8Array
  /** The Ed25519 seed: present only for this peer's own logs. */
  readonly identitySeed?: Uint8Array
}

/** Key book operations. */
export interface KeyBook {
  put(thread: string, log: string, keys: LogKeys, options?: StoreCallOptions): Promise<void>
  get(thread: string, log: string, options?: StoreCallOptions): Promise<LogKeys | undefined>
  /** The follow key, or MissingKeyError. */
  followKey(thread: string, log: string, options?: StoreCallOptions): Promise<Uint8Array>
  /** The read key, or MissingKeyError (a follower never has one). */
  readKey(thread: string, log: string, options?: StoreCallOptions): Promise<Uint8Array>
  /** Every log of a thread with the keys held for it. */
  logs(thread: string, options?: StoreCallOptions): Promise<Array<{ log: string, keys: LogKeys }>>
}

const keyOf = (thread: string, log: string): string => `keys/${thread}/${log}`

/** A key book stored in `meta`. */
export function createKeyBook (meta: KeyValueStore): KeyBook {
  const book: KeyBook = {
    async put (thread, log, keys, options) {
      const value: Record<string, Uint8Array> = { followKey: keys.followKey }
      if (keys.readKey !== undefined) value.readKey = keys.readKey
      if (keys.identitySeed !== undefined) value.identitySeed = keys.identitySeed
      await meta.batch([putValue(keyOf(thread, log), value)], options)
    },
    async get (thread, log, options) {
      return await getValue<LogKeys>(meta, keyOf(thread, log), options)
    },
    async followKey (thread, log, options) {
      const keys = await book.get(thread, log, options)
      if (keys === undefined) throw new MissingKeyError(`no keys are held for log ${log} of thread ${thread}`)
      return keys.followKey
    },
    async readKey (thread, log, options) {
      const keys = await book.get(thread, log, options)
      if (keys?.readKey === undefined) throw new MissingKeyError(`no read key is held for log ${log} of thread ${thread}`)
      return keys.readKey
    },
    async logs (thread, options) {
      const out: Array<{ log: string, keys: LogKeys }> = []
      const prefix = `keys/${thread}/`
      for await (const [key, keys] of listValues<LogKeys>(meta, prefix, options)) out.push({ log: key.slice(prefix.length), keys })
      return out
    }
  }
  return book
}
