/**
 * The address book: multiaddresses where a log can be fetched, each with a
 * time-to-live. Followers appear as extra addresses of a log. Expired entries
 * are never returned and are pruned when touched.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { ThreadsError } from '../errors.ts'
import type { BatchOperation, KeyValueStore, StoreCallOptions } from './interfaces.ts'
import { listValues, putValue } from './meta-values.ts'

/** An address that is not a valid multiaddr. */
export class MalformedAddressError extends ThreadsError {
  static override readonly errorName = 'MalformedAddressError'
}

/** A stored address and when it expires (ms since the epoch). */
export interface AddressEntry {
  readonly addr: string
  readonly expiresAt: number
}

/** Address book operations. */
export interface AddressBook {
  /** Adds or refreshes addresses of a log for `ttlMs` milliseconds. */
  add(thread: string, log: string, addrs: readonly string[], ttlMs: number, options?: StoreCallOptions): Promise<void>
  /** Unexpired addresses of a log. */
  get(thread: string, log: string, options?: StoreCallOptions): Promise<AddressEntry[]>
  remove(thread: string, log: string, addrs: readonly string[], options?: StoreCallOptions): Promise<void>
}

/** An address book stored in `meta`; `now` is injectable for tests. */
export function createAddressBook (meta: KeyValueStore, now: () => number = Date.now): AddressBook {
  const prefixOf = (thread: string, log: string): string => `addrs/${thread}/${log}/`
  return {
    async add (thread, log, addrs, ttlMs, options) {
      if (!(ttlMs > 0)) throw new RangeError('ttlMs must be positive')
      const expiresAt = now() + ttlMs
      const ops = addrs.map((addr) => putValue(prefixOf(thread, log) + canonical(addr), { expiresAt }))
      await meta.batch(ops, options)
    },
    async get (thread, log, options) {
      const prefix = prefixOf(thread, log)
      const live: AddressEntry[] = []
      const expired: BatchOperation[] = []
      const at = now()
      for await (const [key, value] of listValues<{ expiresAt: number }>(meta, prefix, options)) {
        if (value.expiresAt > at) live.push({ addr: key.slice(prefix.length), expiresAt: value.expiresAt })
        else expired.push({ type: 'delete', key })
      }
      if (expired.length > 0) await meta.batch(expired, options)
      return live
    },
    async remove (thread, log, addrs, options) {
      await meta.batch(addrs.map((addr) => ({ type: 'delete', key: prefixOf(thread, log) + canonical(addr) })), options)
    }
  }
}

function canonical (addr: string): string {
  try {
    return multiaddr(addr).toString()
  } catch (cause) {
    throw new MalformedAddressError(`"${String(addr).slice(0, 120)}" is not a multiaddr`, { cause })
  }
}
