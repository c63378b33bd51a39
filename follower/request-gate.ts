/**
 * Admission of sync requests, shared by libp2p and HTTP: at most
 * `maxConcurrentRequests` under way in all and `maxConcurrentRequestsPerPeer`
 * for one requester; HTTP bodies are received before they take a place, within
 * limits of their own (`receive`), with at most `maxBufferedBytes` held;
 * while the event loop runs more than `maxEventLoopLagMs` late, only a
 * quarter of `maxConcurrentRequests` at once, so work under way finishes
 * before more is taken and `/health` stays quick (a lone client's requests
 * are always taken: the lag it meets is its own request's).
 * Past a limit a request is refused at once, in words, rather than queued
 * until its client gives up: the follower stays responsive under any load,
 * and clients back off.
 *
 * How many it serves at once also follows how long requests take: a follower
 * bound by its CPU answers no more requests a second for holding more of
 * them, it only makes each wait longer inside it. So once per round of
 * answers (as many as it may serve at once), when their median time from
 * being read to being answered (`handled`: the time a request spends inside
 * the follower, whatever its client's pace of sending) passed
 * `targetRequestMs`, the gate takes a quarter fewer at once (down to a
 * quarter of `maxConcurrentRequests`), and one more otherwise (up to
 * `maxConcurrentRequests`): the waiting moves out to clients, as a quick
 * refusal and Retry-After, where it holds nothing here.
 *
 * It starts at 16 at most, and takes more only after a quick round in which
 * it was full (as TCP grows its window only while the window is used): half
 * as many more a round until its first slow round, then one more. How many it
 * takes at once is what it has seen answered in time, never what a quiet
 * spell let it climb to. Otherwise a crowd arriving at once (clients coming
 * back after a restart) is taken whole, and each of its requests waits for
 * all the others; their first pushes cost the most, too (a member's first, 8 ms
 * alone here, against 5 ms for the next). With 200 clients pushing at once over
 * loopback, starting at all 64 made that first wave the slowest 3 % of the run:
 * p99 of first pushes 660–1,010 ms against 400–550 ms for the pushes after them
 * (nine runs); starting at 16, 440–650 ms against 330–560 ms (fifteen runs,
 * `npm run bench -- follower`).
 */
import { FollowerBusyError, TooManyRequestsError } from './limit-errors.ts'
import type { FollowerLimits } from './limits.ts'

/** While the event loop runs late, the gate takes this fraction (1 / LATE_SHARE) of its concurrent requests; it never takes fewer for slow answers either. */
const LATE_SHARE = 4
/**
 * The most it takes at once before any round has been answered: enough that a few members' pushes share each
 * fsync, few enough that a crowd's first pushes (the costliest) are answered within the target together.
 */
const START_AT_MOST = 16
/** Until its first slow round, a quick round that filled the gate raises how many it takes at once by this factor. */
const PROBE_INCREASE = 1.5
/** A round of slow answers lowers how many requests are taken at once by this fraction. */
const SLOW_DECREASE = 0.75

/** A place taken by one request, or one request body being received; `release` gives it back (once, however often called). */
export interface GatePass {
  release(): void
}

/**
 * Bodies being received (HTTP) are counted apart from requests served: a body
 * takes a place at the gate only once it has arrived whole, so a client sending
 * one a byte at a time holds none of the places honest requests are served in.
 * What it holds instead is a receipt: at most `maxConcurrentRequestsPerPeer`
 * per requester, RECEIVING_SHARE times `maxConcurrentRequests` in all, and its
 * declared length within `maxBufferedBytes`.
 */
const RECEIVING_SHARE = 4

/** The gate; `enter` answers a pass, or the refusal to send. */
export interface RequestGate {
  /** A receipt for a body of `bytes` about to be received from `requester`, or the refusal to send (before any of it is read). */
  receive(requester: string, bytes: number): GatePass | FollowerBusyError | TooManyRequestsError
  enter(requester: string): GatePass | FollowerBusyError | TooManyRequestsError
  /** Tells the gate how long a request took to handle once read (its time inside the follower, not its client's sending). */
  handled(ms: number): void
  /** Requests under way, bodies being received and their bytes held now (for /health). */
  load(): { readonly requests: number, readonly receiving: number, readonly bufferedBytes: number, readonly takenAtOnce: number }
}

/** Makes a gate with the limits given. */
export function createRequestGate (
  limits: Pick<FollowerLimits, 'maxConcurrentRequests' | 'maxConcurrentRequestsPerPeer' | 'maxBufferedBytes' | 'maxEventLoopLagMs' | 'targetRequestMs' | 'retryAfterSeconds'>,
  /** How late the event loop runs now, in milliseconds (event-loop-lag.ts); absent: never judged late. */
  lagMs: () => number = () => 0
): RequestGate {
  const perRequester = new Map<string, number>()
  const receivingFrom = new Map<string, number>()
  let requests = 0
  let receiving = 0
  let buffered = 0
  const maxReceiving = limits.maxConcurrentRequests * RECEIVING_SHARE
  /** One count of `counts` taken for `key`; gives it back once. */
  const taken = (counts: Map<string, number>, key: string, after: () => void): GatePass => {
    counts.set(key, (counts.get(key) ?? 0) + 1)
    let released = false
    return {
      release () {
        if (released) return
        released = true
        after()
        const left = (counts.get(key) ?? 1) - 1
        if (left === 0) counts.delete(key)
        else counts.set(key, left)
      }
    }
  }
  const wait = `try again in ${limits.retryAfterSeconds} s`
  const lateLimit = Math.max(1, Math.floor(limits.maxConcurrentRequests / LATE_SHARE))
  // How many are taken at once now, whether that many were under way at some point of this round, and the round of answers being timed.
  let takenAtOnce = Math.max(lateLimit, Math.min(limits.maxConcurrentRequests, START_AT_MOST))
  let filled = false
  // Until its first slow round, each quick full round takes half as many more (PROBE_INCREASE); then one more.
  let probing = true
  // Whether the last round's answers were slow: what a refusal says it is waiting for.
  let lastRoundSlow = false
  let round: number[] = []
  const handled = (ms: number): void => {
    round.push(ms)
    if (round.length < takenAtOnce) return
    // The median, so that a few slow requests (a large ACL evaluated, say) do not make everyone wait outside.
    const median = round.sort((a, b) => a - b)[Math.floor(round.length / 2)]!
    lastRoundSlow = median > limits.targetRequestMs
    if (lastRoundSlow) {
      takenAtOnce = Math.max(lateLimit, Math.floor(takenAtOnce * SLOW_DECREASE))
      probing = false
    } else if (filled) {
      takenAtOnce = Math.min(limits.maxConcurrentRequests, probing ? Math.ceil(takenAtOnce * PROBE_INCREASE) : takenAtOnce + 1)
    }
    round = []
    filled = requests >= takenAtOnce
  }
  return {
    receive (requester, bytes) {
      if ((receivingFrom.get(requester) ?? 0) >= limits.maxConcurrentRequestsPerPeer) {
        return new TooManyRequestsError(`${requester} is already sending the ${limits.maxConcurrentRequestsPerPeer} requests that one peer may send at once; ${wait}`)
      }
      if (receiving >= maxReceiving) return new FollowerBusyError(`the follower is receiving the ${maxReceiving} requests it receives at once; ${wait}`)
      if (buffered + bytes > limits.maxBufferedBytes) return new FollowerBusyError(`the follower holds as many request bytes as it may; ${wait}`)
      receiving++
      buffered += bytes
      return taken(receivingFrom, requester, () => { receiving--; buffered -= bytes })
    },
    enter (requester) {
      // A loop running late is already behind on what it holds: it takes fewer at once (a lone request is always taken).
      const lag = lagMs()
      if (lag > limits.maxEventLoopLagMs && requests >= lateLimit) {
        return new FollowerBusyError(`the follower runs ${Math.round(lag)} ms behind (over ${limits.maxEventLoopLagMs} ms) and serves the ${lateLimit} requests it serves at once while behind; ${wait}`)
      }
      if (requests >= limits.maxConcurrentRequests) {
        return new FollowerBusyError(`the follower is serving the ${limits.maxConcurrentRequests} requests it serves at once; ${wait}`)
      }
      if (requests >= takenAtOnce) {
        filled = true
        return new FollowerBusyError(lastRoundSlow
          ? `the follower's answers take over ${limits.targetRequestMs} ms, so it serves ${takenAtOnce} requests at once (of ${limits.maxConcurrentRequests}); ${wait}`
          : `the follower serves ${takenAtOnce} requests at once (of ${limits.maxConcurrentRequests}), more as they are answered within ${limits.targetRequestMs} ms; ${wait}`)
      }
      const mine = perRequester.get(requester) ?? 0
      if (mine >= limits.maxConcurrentRequestsPerPeer) {
        return new TooManyRequestsError(`${requester} already has the ${limits.maxConcurrentRequestsPerPeer} requests under way that one peer may have; ${wait}`)
      }
      requests++
      if (requests >= takenAtOnce) filled = true
      return taken(perRequester, requester, () => { requests-- })
    },
    handled,
    load: () => ({ requests, receiving, bufferedBytes: buffered, takenAtOnce })
  }
}
