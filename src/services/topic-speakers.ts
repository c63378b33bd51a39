/**
 * Who may speak on a thread's gossip topic through this node (a follower, or
 * a browser's background node): the libp2p peers that proved, on their own
 * authenticated connection, that they are members of the thread (a heads or
 * pull request with a pull proof naming that peer, or a follow request,
 * served). Gossip on a thread's topic from any other author is neither acted
 * on nor forwarded (the topic validators of follower/libp2p-limits.ts and
 * topics.ts), so a stranger who knows a thread ID cannot make its members
 * sync or dial on its word. A member's first message may come before its
 * first proof: it is dropped without penalty, and the member says it again
 * (presence repeats; announcements follow a served push).
 *
 * Bounded: at most {@link MAX_SPEAKERS_PER_THREAD} peers a thread (the least
 * recently proven is forgotten first), each forgotten
 * {@link SPEAKER_TTL_MS} after its last proof, so a removed member's peer is
 * silenced once it can no longer prove.
 */
import type { HandledRequest, RequestContext } from '../core/sync/handler.ts'
import type { SyncRequest, SyncResponse } from '../core/sync/messages.ts'

/** How long a proof lets a peer speak on the thread's topic; members sync far more often. */
export const SPEAKER_TTL_MS = 15 * 60 * 1000
/** Peers remembered per thread. */
export const MAX_SPEAKERS_PER_THREAD = 1024

/** The member peers of each thread, as proven to this follower. */
export interface TopicSpeakers {
  /** Notes a served request: a heads, pull or follow answered without error proves its libp2p peer. */
  served(request: SyncRequest, response: SyncResponse, peer: string | undefined): void
  /** Whether `peer` proved membership of `thread` within the last {@link SPEAKER_TTL_MS}. */
  maySpeak(thread: string, peer: string): boolean
}

/** An empty registry; `now` is the clock (tests pass their own). */
export function createTopicSpeakers (now: () => number = Date.now): TopicSpeakers {
  // Per thread, peer → time of its last proof, in the order proven (a Map keeps insertion order).
  const threads = new Map<string, Map<string, number>>()
  return {
    served (request, response, peer) {
      if (peer === undefined || response.type === 'error' || request.type === 'push') return
      let speakers = threads.get(request.thread)
      if (speakers === undefined) threads.set(request.thread, speakers = new Map())
      speakers.delete(peer)
      speakers.set(peer, now())
      if (speakers.size > MAX_SPEAKERS_PER_THREAD) speakers.delete(speakers.keys().next().value!)
    },
    maySpeak (thread, peer) {
      const at = threads.get(thread)?.get(peer)
      if (at === undefined) return false
      if (now() - at <= SPEAKER_TTL_MS) return true
      threads.get(thread)!.delete(peer)
      return false
    }
  }
}

/** `handle`, noting in `speakers` each requester it serves (its peer proved membership, as {@link TopicSpeakers.served} says). */
export function notingSpeakers<C extends RequestContext> (handle: (request: SyncRequest, context: C) => Promise<HandledRequest>, speakers: TopicSpeakers): (request: SyncRequest, context: C) => Promise<HandledRequest> {
  return async (request, context) => {
    const handled = await handle(request, context)
    speakers.served(request, handled.response, context.remotePeer)
    return handled
  }
}
