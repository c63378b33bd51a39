/**
 * Every limit the follower applies to what strangers can make it do, with its
 * default. Each is a setting (flag `--kebab-name`, or variable
 * `THREADS_FOLLOWER_UPPER_SNAKE_NAME`; see config.ts), and each refusal says
 * in words which limit was met (docs/THREAT_MODEL.md, "Limits").
 */

/** The follower's limits; see {@link DEFAULT_LIMITS} for what each means and its default. */
export interface FollowerLimits {
  readonly maxConnections: number
  readonly maxConnectionsPerIp: number
  readonly maxPendingConnections: number
  readonly connectionsPerIpPerSecond: number
  readonly inboundUpgradeTimeoutMs: number
  readonly maxConcurrentRequests: number
  readonly maxConcurrentRequestsPerPeer: number
  readonly maxBufferedBytes: number
  readonly maxEventLoopLagMs: number
  readonly targetRequestMs: number
  readonly retryAfterSeconds: number
  readonly maxReservations: number
  readonly maxReservationsPerIp: number
  readonly relayDataLimitBytes: number
  readonly relayDurationLimitMs: number
  readonly maxThreadsPerRequester: number
  readonly maxBytesPerThread: number
}

/** The defaults, sized for one follower serving a few hundred browsers. */
export const DEFAULT_LIMITS: FollowerLimits = {
  /**
   * libp2p connections open at once; a connection beyond it is refused before it is upgraded. HTTP connections
   * are counted apart, against the same number: one beyond it is answered 503 `FollowerBusyError` and closed.
   */
  maxConnections: 300,
  /**
   * libp2p connections open at once from one IP address (many browsers can share one behind a NAT); HTTP
   * connections apart, against the same number: one beyond it is answered 429 `TooManyRequestsError` and closed.
   */
  maxConnectionsPerIp: 32,
  /** Inbound libp2p connections still being upgraded (encryption, multiplexing) at once. */
  maxPendingConnections: 64,
  /** New libp2p connections one IP address may open per second. */
  connectionsPerIpPerSecond: 100,
  /** How long an inbound connection may take to finish its upgrade before it is closed. */
  inboundUpgradeTimeoutMs: 10_000,
  /** Sync requests served at once, over libp2p and HTTP together; beyond it: `FollowerBusyError` (HTTP 503). */
  maxConcurrentRequests: 64,
  /** Sync requests served at once for one peer (libp2p) or one IP address (HTTP); beyond it: `TooManyRequestsError` (HTTP 429). */
  maxConcurrentRequestsPerPeer: 8,
  /** Bytes of HTTP request bodies held in memory at once; a body that would pass it: `FollowerBusyError` (HTTP 503). */
  maxBufferedBytes: 64 * 1024 * 1024,
  /** How late the event loop may run (a long synchronous stretch just ended) before the follower serves only a quarter of `maxConcurrentRequests` at once; beyond that: `FollowerBusyError` (HTTP 503). */
  maxEventLoopLagMs: 500,
  /**
   * How long sync requests may take to handle once read (the median of a round of answers) before the follower takes
   * fewer at once: past it, each round of answers lowers how many it serves at once by a quarter (never
   * below a quarter of `maxConcurrentRequests`), and under it each round raises it by one again, so work
   * waits as a quick refusal (`FollowerBusyError`, HTTP 503) rather than in a queue inside the follower.
   * A follower bound by its CPU answers no more pushes a second for holding more at once: with 200 clients
   * pushing at once on a loaded machine (`npm run bench -- follower`, load average 4–11, six runs each), 250 ms
   * gave push latency p50 222–306 ms and p99 1,081–3,032 ms (median about 1,500) against 553–1,091 ms and
   * 1,226–4,084 ms (median about 1,900) with the 5 s this was before, for 551–1,570 records/s (median about 830)
   * against 446–1,122 (about 700), at about twice the refusals.
   */
  targetRequestMs: 250,
  /** What `Retry-After` (and the words of a busy refusal) ask a client to wait. */
  retryAfterSeconds: 1,
  /** Circuit relay reservations held at once. */
  maxReservations: 256,
  /** Circuit relay reservations held at once by peers of one IP address. */
  maxReservationsPerIp: 16,
  /** Bytes one relayed connection may carry (both ways) before the relay closes it: enough for WebRTC signalling. */
  relayDataLimitBytes: 128 * 1024,
  /** How long one relayed connection may last before the relay closes it. */
  relayDurationLimitMs: 120_000,
  /** Threads one requester (a libp2p peer, or an HTTP client's IP address) may ask the follower to follow; beyond it: `ThreadQuotaError`. */
  maxThreadsPerRequester: 1000,
  /** Bytes of records the follower stores for one thread; a push that would pass it: `StorageQuotaError`. */
  maxBytesPerThread: 2 * 1024 * 1024 * 1024
}

/** The name of each limit's flag, e.g. `max-connections-per-ip`. */
export const limitFlag = (name: keyof FollowerLimits): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

/** The name of each limit's environment variable, e.g. `THREADS_FOLLOWER_MAX_CONNECTIONS_PER_IP`. */
export const limitVariable = (name: keyof FollowerLimits): string => `THREADS_FOLLOWER_${limitFlag(name).replace(/-/g, '_').toUpperCase()}`
