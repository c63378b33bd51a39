/**
 * The tab's request to add a follower (src/protocol/follower-messages.ts): the
 * address is resolved to the follower's multiaddr (a multiaddr naming its
 * peer as it is; an HTTP URL through the host's resolver, which asks the
 * follower's health endpoint) and handed to the host, which dials it and
 * syncs every album with it. Once it follows an album, the album keeps its
 * address (album-sync.ts), so the follower is added again after a reload.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { ThreadsError } from '../core/errors.ts'
import type { ReplyBody, RequestOf } from '../protocol/messages.ts'

/** An address that names no follower this node can dial; the message says why. */
export class FollowerAddressInvalidError extends ThreadsError {
  static override readonly errorName = 'FollowerAddressInvalidError'
}

/** Options of {@link followerRequestHandlers}. */
export interface FollowerRequestOptions {
  /** Resolves an HTTP(S) base URL to the follower's multiaddr; absent where the host cannot (then only multiaddrs are taken). */
  readonly resolve?: (url: string) => Promise<string>
  /** Dials the follower at `address` and syncs every album with it (an address already known is ignored). */
  readonly add: (address: string) => void
}

/** A multiaddr naming its peer, or FollowerAddressInvalidError in words. */
function followerMultiaddr (address: string): string {
  let parsed
  try {
    parsed = multiaddr(address)
  } catch (cause) {
    throw new FollowerAddressInvalidError(`"${address.slice(0, 80)}" is neither a follower's web address (http:// or https://) nor a multiaddr`, { cause })
  }
  if (!parsed.getComponents().some((c) => c.name === 'p2p')) throw new FollowerAddressInvalidError(`the multiaddr ${address.slice(0, 200)} does not end in the follower's /p2p/ peer ID`)
  return parsed.toString()
}

/** The `follower.add` handler. */
export function followerRequestHandlers (options: FollowerRequestOptions): { readonly 'follower.add': (request: RequestOf<'follower.add'>) => Promise<ReplyBody<'follower.add'>> } {
  return {
    'follower.add': async ({ address }) => {
      const trimmed = address.trim()
      const web = /^https?:\/\//i.test(trimmed)
      if (web && options.resolve === undefined) throw new FollowerAddressInvalidError('this node finds followers by their multiaddr only')
      const resolved = followerMultiaddr(web ? await options.resolve!(trimmed) : trimmed)
      options.add(resolved)
      return { type: 'follower.added', address: resolved }
    }
  }
}
