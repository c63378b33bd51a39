/**
 * A byte budget for sync answers a node holds while their requesters take
 * them off the wire. An answer is written whole before it is let go, and a
 * requester that reads slowly (or never: until the answer timeout) keeps it
 * held, so without a budget a node serving many peers, each on many streams,
 * could hold gigabytes (16 sessions and 64 streams a connection, a hundred
 * connections, 8 MiB an answer). Each answer is held against its peer's share
 * and the node's whole; one that would pass either is not kept: the request
 * is answered `AnswerBudgetError` instead, a few bytes, and the requester asks
 * again later (its sync is retried; nothing it sent is lost, a pull changes
 * nothing). An answer comes through alone even when larger than a budget, so
 * every peer is served in turn: a peer holds at most max(its share, one
 * answer), the node max(its whole, one answer).
 */
import { AnswerBudgetError } from '../../core/errors.ts'
import { refusal, type EncodedAnswer } from '../../core/sync/serve.ts'

/** Bytes of answers one peer may have held at once, by default: two answers of the largest size. */
export const DEFAULT_ANSWER_BYTES_PER_PEER = 16 * 1024 * 1024
/** Bytes of answers a node may hold at once for all its peers, by default. */
export const DEFAULT_ANSWER_BYTES_TOTAL = 64 * 1024 * 1024

/** The limits of an {@link AnswerBudget}. */
export interface AnswerBudgetLimits {
  readonly perPeerBytes: number
  readonly totalBytes: number
}

/** Answer bytes held, per peer and for all. */
export interface AnswerBudget {
  /** Holds `bytes` of an answer to `peer`: a function letting them go once written, or the refusal. */
  hold(peer: string, bytes: number): (() => void) | AnswerBudgetError
  /** What is held now. */
  held(): { readonly total: number, readonly peers: number }
}

/** A budget within `limits` (the defaults above unless given). */
export function createAnswerBudget (limits: Partial<AnswerBudgetLimits> = {}): AnswerBudget {
  const perPeer = limits.perPeerBytes ?? DEFAULT_ANSWER_BYTES_PER_PEER
  const total = limits.totalBytes ?? DEFAULT_ANSWER_BYTES_TOTAL
  const byPeer = new Map<string, number>()
  let all = 0
  return {
    hold (peer, bytes) {
      const mine = byPeer.get(peer) ?? 0
      if (mine > 0 && mine + bytes > perPeer) return new AnswerBudgetError(`this node holds ${mine} bytes of answers ${peer} has not taken yet; ${bytes} more would pass the ${perPeer} one peer may have held: take those, then ask again`)
      if (all > 0 && all + bytes > total) return new AnswerBudgetError(`this node holds ${all} bytes of answers not taken yet; ${bytes} more would pass the ${total} it holds for all its peers: ask again shortly`)
      byPeer.set(peer, mine + bytes)
      all += bytes
      let released = false
      return () => {
        if (released) return
        released = true
        all -= bytes
        const left = (byPeer.get(peer) ?? bytes) - bytes
        if (left === 0) byPeer.delete(peer)
        else byPeer.set(peer, left)
      }
    },
    held: () => ({ total: all, peers: byPeer.size })
  }
}

/**
 * The answer to send `peer` and what lets its bytes go once written: the
 * answer itself when the budget holds it, else its refusal in words (small,
 * not held, not the peer's fault).
 */
export function budgetedAnswer (budget: AnswerBudget, peer: string, answer: EncodedAnswer): { readonly answer: EncodedAnswer, readonly release: () => void } {
  const release = budget.hold(peer, answer.bytes.length)
  if (release instanceof AnswerBudgetError) return { answer: { ...refusal(release), abusive: false }, release: () => {} }
  return { answer, release }
}
