/**
 * Tab ↔ worker messages about followers (added to the album messages in
 * messages.ts): a person adds a follower by its address, and every album
 * syncs with it from then on, as with the build's follower and those invites
 * name. How each follower stands travels in every album report
 * (`sync.followerList` of {@link AlbumSnapshot}).
 */

/** Follower requests (without the v/id envelope). */
export type FollowerRequest =
  /** `address`: the follower's HTTP base URL (its `/health` says its libp2p address), or its multiaddr ending in `/p2p/<peer ID>`. */
  | { readonly type: 'follower.add', readonly address: string }

/** Follower replies (without the v/id envelope). */
export type FollowerReply =
  /** The follower's multiaddr, as the node dials it. */
  | { readonly type: 'follower.added', readonly address: string }

type Fields = Readonly<Record<string, unknown>>
const text = (v: unknown, max: number): boolean => typeof v === 'string' && v.length > 0 && v.length <= max

/** Shape checks of follower requests, by type. */
export const followerRequestValidators = {
  'follower.add': (m: Fields) => text(m.address, 2048)
} as const

/** Shape checks of follower replies, by type. */
export const followerReplyValidators = {
  'follower.added': (m: Fields) => text(m.address, 2048)
} as const

/** The reply type of each follower request. */
export const FOLLOWER_REPLY_TYPE_OF = {
  'follower.add': 'follower.added'
} as const

/** Adding a follower twice adds it once. */
export const FOLLOWER_SAFE_TO_REPEAT = {
  'follower.add': true
} as const
