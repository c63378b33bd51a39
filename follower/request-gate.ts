/**
 * Admission of sync requests, shared by libp2p and HTTP: at most
 * `maxConcurrentRequests` under way in all and `maxConcurrentRequestsPerPeer`
 * for one requester, and at most `maxBufferedBytes` of request bodies held;
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
 */
import { FollowerBusyError, TooManyRequestsError } from './limit-errors.ts'
import type { FollowerLimits } from './limits.ts'

/** While the event loop runs late, the gate takes this fraction (1 / LATE_SHARE) of its concurrent requests; it never takes fewer for slow answers either. */
const LATE_SHARE = 4
/** A round of slow answers lowers how many requests are taken at once by this fraction. */
const SLOW_DECREASE = 0.75

/** A place taken by one request; `release` gives it back (once, however often called). */
export interface GatePass {
  /** Holds `bytes` more of this request's body; false (nothing held) when that would pass the budget. */
  hold(bytes: number): boolean
  release(): void
}

/** The gate; `enter` answers a pass, or the refusal to send. */
export interface RequestGate {
  enter(requester: string): GatePass | FollowerBusyError | TooManyRequestsError
  /** Tells the gate how long a request took to handle once read (its time inside the follower, not its client's sending). */
  handled(ms: number): void
  /** Requests under way and bytes held now (for /health). */
  load(): { readonly requests: number, readonly bufferedBytes: number, readonly takenAtOnce: number }
}

/** Makes a gate with the limits given. */
export function createRequestGate (
  limits: Pick<FollowerLimits, 'maxConcurrentRequests' | 'maxConcurrentRequestsPerPeer' | 'maxBufferedBytes' | 'maxEventLoopLagMs' | 'targetRequestMs' | 'retryAfterSeconds'>,
  /** How late the event loop runs now, in milliseconds (event-loop-lag.ts); absent: never judged late. */
  lagMs: () => number = () => 0
): RequestGate {
  const perRequester = new Map<string, number>()
  let requests = 0
  let buffered = 0
  const wait = `try again in ${limits.retryAfterSeconds} s`
  const lateLimit = Math.max(1, Math.floor(limits.maxConcurrentRequests / LATE_SHARE))
  // How many are taken at once now, and the round of answers being timed.
  let takenAtOnce = limits.maxConcurrentRequests
  let round: number[] = []
  const handled = (ms: number): void => {
    round.push(ms)
    if (round.length < takenAtOnce) return
    // The median, so that a few slow requests (a large ACL evaluated, say) do not make everyone wait outside.
    const median = round.sort((a, b) => a - b)[Math.floor(round.length / 2)]!
    takenAtOnce = median > limits.targetRequestMs
      ? Math.max(lateLimit, Math.floor(takenAtOnce * SLOW_DECREASE))
      : Math.min(limits.maxConcurrentRequests, takenAtOnce + 1)
    round = []
  }
  return {
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
        return new FollowerBusyError(`the follower's answers take over ${limits.targetRequestMs} ms, so it serves ${takenAtOnce} requests at once (of ${limits.maxConcurrentRequests}); ${wait}`)
      }
      const mine = perRequester.get(requester) ?? 0
      if (mine >= limits.maxConcurrentRequestsPerPeer) {
        return new TooManyRequestsError(`${requester} already has the ${limits.maxConcurrentRequestsPerPeer} requests under way that one peer may have; ${wait}`)
      }
      requests++
      perRequester.set(requester, mine + 1)
      let held = 0
      let released = false
      return {
        hold (bytes) {
          if (released || buffered + bytes > limits.maxBufferedBytes) return false
          buffered += bytes
          held += bytes
          return true
        },
        release () {
          if (released) return
          released = true
          requests--
          buffered -= held
          const left = (perRequester.get(requester) ?? 1) - 1
          if (left === 0) perRequester.delete(requester)
          else perRequester.set(requester, left)
        }
      }
    },
    handled,
    load: () => ({ requests, bufferedBytes: buffered, takenAtOnce })
  }
}
