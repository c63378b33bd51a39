/**
 * Direct connections between browsers that hold the same thread.
 *
 * Each node says it is present on the thread's gossipsub topic, with its
 * WebRTC addresses (reachable through its follower's relay). Of two nodes that
 * see each other, the one with the smaller peer ID dials at once; the other
 * says it is present again (in case its first message was missed) and dials
 * only if no connection came after {@link ANSWER_WAIT_MS}, so they usually make
 * one connection, not two. Where two are open, both sides keep the same one
 * (see dropDuplicates). Dials that hang are cut after
 * {@link DIAL_TIMEOUT_MS} and retried with backoff. While a WebRTC connection to
 * a peer is open, every thread both hold syncs over it directly, so they keep
 * syncing when the follower is gone. When a connection drops (say the tab that
 * carried it closed) the dialer dials again, through another tab.
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLifecycle, type Startable } from '../core/lifecycle.ts'
import type { SyncHint, SyncScheduler } from '../core/sync/scheduler.ts'
import { decodeTopicMessage, encodeTopicMessage } from './topic-messages.ts'
import { createLogger } from '../core/logger.ts'
import { retryWithBackoff } from '../core/retry.ts'

const DIAL_TIMEOUT_MS = 10_000
const ANSWER_WAIT_MS = 3_000
/** Connections opened closer together than this were dialled at the same time, from both sides. */
const SAME_TIME_MS = 2_000
const DIAL_ATTEMPTS = 5
/** How often presence is said: while a thread has no direct peer, from every 5 s backing off to every minute; once it has one, every minute. */
const PRESENCE_SEARCHING_MS = 5_000
const PRESENCE_SETTLED_MS = 60_000
const PRESENCE_MIN_GAP_MS = 1_000
const MAX_PEERS_PER_THREAD = 16
/** Logs remembered per thread as pushed here by a direct peer. */
const MAX_PUSHED_LOGS_PER_THREAD = 64
const log = createLogger('services:direct-peers')

/** The part of a libp2p node direct peers use (a gossipsub node fits). */
export type DirectPeersNode = Pick<Libp2p, 'peerId' | 'getMultiaddrs' | 'getConnections' | 'dial' | 'addEventListener' | 'removeEventListener'> & {
  readonly services: { readonly pubsub: { publish(topic: string, data: Uint8Array): Promise<unknown> } }
}

/** The tabs that carry WebRTC connections, as far as direct peers care: when one arrives or leaves. */
export interface CarrierChanges {
  /** Calls `listener` whenever a carrier arrives or leaves; returns a function that stops that. */
  onChange(listener: () => void): () => void
}

/** What the album service needs of direct peers; every call but `start` does nothing unless running. */
export interface DirectPeers extends Startable {
  /** Starts saying presence on `thread` and syncing it with the peers found there. */
  track(thread: string): void
  /** Handles a message on a tracked thread's topic. */
  onTopicMessage(thread: string, from: PeerId | undefined, data: Uint8Array): void
  /** Syncs `thread` with every directly connected peer now (after a local write or an announcement, which `hint` says: see SyncScheduler.kick); resolves once those syncs ended. */
  kick(thread: string, hint?: SyncHint): Promise<void>
  /** How many peers `thread` is directly connected to. */
  count(thread: string): number
  /** A push from `peer` (a peer ID) of records of `logs` to `thread` was taken: noted while `peer` syncs `thread` directly. */
  pushed(thread: string, peer: string, logs: readonly string[]): void
  /** Whether every one of `logs` was last pushed here by a peer that still syncs `thread` directly (that peer pushes their writes here as they are made). */
  pushesAll(thread: string, logs: readonly string[]): boolean
  /** When the newest of those connections opened (ms since the epoch), if any is open. */
  since(thread: string): number | undefined
}

interface Tracked {
  readonly peers: Map<string, { readonly id: PeerId, addrs: Multiaddr[] }>
  readonly syncs: Map<string, SyncScheduler>
  /** Logs whose records directly connected peers pushed here, with the peer that last did, least recent first. */
  readonly pushers: Map<string, string>
  lastPresence: number
  searchDelay: number
  presenceTimer?: ReturnType<typeof setTimeout>
}

/** Options of {@link createDirectPeers}. */
export interface DirectPeersOptions {
  readonly node: DirectPeersNode
  readonly carriers: CarrierChanges
  /** Starts syncing `thread` with `peer` over the direct connection. */
  readonly startSync: (thread: string, peer: PeerId) => SyncScheduler
  /** Called when the set of direct peers changes. */
  readonly onChange: () => void
  /** How long one dial may take before it is cut and retried; {@link DIAL_TIMEOUT_MS} unless given. */
  readonly dialTimeoutMs?: number
}

/** Makes the part that finds and keeps direct peers for the node; it acts once started. */
export function createDirectPeers (deps: DirectPeersOptions): DirectPeers {
  const { node } = deps
  const self = node.peerId.toString()
  const threads = new Map<string, Tracked>()
  const dialing = new Set<string>()
  /** Timers not tied to one thread (answer waits), cleared on stop; a dial's backoff ends with `stopped`. */
  const timers = new Set<ReturnType<typeof setTimeout>>()
  /** Aborted on stop: cuts dials under way. */
  const stopped = new AbortController()
  const later = (run: () => void, ms: number): void => {
    const timer = setTimeout(() => { timers.delete(timer); run() }, ms)
    timers.add(timer)
  }

  const isDirect = (c: Connection): boolean => c.direct && c.remoteAddr.toString().includes('/webrtc') && c.status === 'open'
  const directTo = (peer: string): Connection[] => node.getConnections().filter((c) => c.remotePeer.toString() === peer && isDirect(c))
  const connected = (peer: string): boolean => directTo(peer).length > 0
  const ownAddresses = (): string[] => node.getMultiaddrs().map((a) => a.toString()).filter((a) => a.includes('/p2p-circuit/webrtc'))

  function sayPresent (thread: string, force = false): void {
    const entry = threads.get(thread)
    if (entry === undefined) return
    const now = Date.now()
    if (!force && now - entry.lastPresence < PRESENCE_MIN_GAP_MS) return
    const addrs = ownAddresses()
    if (addrs.length === 0) return // not reachable yet: the next tick or address update tries again
    entry.lastPresence = now
    node.services.pubsub.publish(thread, encodeTopicMessage({ type: 'presence', addrs })).catch((error: unknown) => { log.failure(`saying presence on ${thread}`, error) })
  }

  /** Plans the next presence; `restart` when something changed (a new album, a lost connection), so the search starts quick again. */
  function schedulePresence (thread: string, restart = false): void {
    const entry = threads.get(thread)
    if (entry === undefined) return
    clearTimeout(entry.presenceTimer)
    if (restart) entry.searchDelay = PRESENCE_SEARCHING_MS
    const searching = [...entry.peers.keys()].every((peer) => !connected(peer))
    const delay = searching ? entry.searchDelay : PRESENCE_SETTLED_MS
    if (searching) entry.searchDelay = Math.min(PRESENCE_SETTLED_MS, entry.searchDelay * 2)
    entry.presenceTimer = setTimeout(() => {
      sayPresent(thread, true)
      schedulePresence(thread)
    }, delay)
  }

  /** Makes sure a sync runs with `peer` for every tracked thread it holds, if connected. */
  function startSyncs (peer: string): void {
    if (!connected(peer)) return
    for (const [thread, entry] of threads) {
      const known = entry.peers.get(peer)
      if (known === undefined || entry.syncs.has(peer)) continue
      entry.syncs.set(peer, deps.startSync(thread, known.id))
    }
    deps.onChange()
  }

  function stopSyncs (peer: string): void {
    for (const entry of threads.values()) {
      const sync = entry.syncs.get(peer)
      entry.syncs.delete(peer)
      void sync?.stop()
    }
    deps.onChange()
  }

  async function dial (peer: string): Promise<void> {
    if (dialing.has(peer)) return
    dialing.add(peer)
    try {
      await retryWithBackoff(async () => {
        // Connected meanwhile (the other side dialled), or no longer on any thread with us: nothing to do.
        const addrs = [...threads.values()].flatMap((t) => t.peers.get(peer)?.addrs ?? [])
        if (connected(peer) || addrs.length === 0) return
        await node.dial(addrs, { signal: AbortSignal.any([stopped.signal, AbortSignal.timeout(deps.dialTimeoutMs ?? DIAL_TIMEOUT_MS)]) })
      }, { what: `dial ${peer}`, log, minDelayMs: 1000, maxDelayMs: 16_000, attempts: DIAL_ATTEMPTS, signal: stopped.signal })
    } catch (error) {
      // Tried again when something changes: a new tab to carry it, a presence message, a lost connection.
      if (!stopped.signal.aborted) log.failure(`gave up dialling ${peer} for now`, error)
    } finally {
      dialing.delete(peer)
    }
  }

  /** Connects to `peer`: at once if this side dials first, otherwise after asking it to and waiting a little. */
  function reach (peer: string, thread: string): void {
    if (connected(peer)) { startSyncs(peer); return }
    if (self < peer) { void dial(peer); return }
    sayPresent(thread)
    later(() => { if (!connected(peer) && threads.get(thread)?.peers.has(peer) === true) void dial(peer) }, ANSWER_WAIT_MS)
  }

  /**
   * Of several direct connections to `peer`, keeps the one both sides would
   * pick. One made well after another replaces it (the older is most likely
   * dead on the other side: its tab closed); of two made at about the same
   * time, the one dialled by the smaller ID stays.
   */
  function dropDuplicates (peer: string): void {
    const all = directTo(peer)
    if (all.length < 2) return
    const first = self < peer ? self : peer
    const dialledByFirst = (c: Connection): boolean => (c.direction === 'outbound' ? self : peer) === first
    const better = (a: Connection, b: Connection): Connection => {
      if (Math.abs(a.timeline.open - b.timeline.open) > SAME_TIME_MS) return a.timeline.open > b.timeline.open ? a : b
      if (dialledByFirst(a) !== dialledByFirst(b)) return dialledByFirst(a) ? a : b
      return a.timeline.open >= b.timeline.open ? a : b
    }
    const keep = all.reduce(better)
    for (const c of all) if (c !== keep) closeQuietly(c, 'a duplicate direct connection')
  }

  /** Closes a connection this side no longer wants; one already gone cannot be closed and needs nothing more. */
  function closeQuietly (connection: Connection, what: string): void {
    connection.close().catch((error: unknown) => { log.failure(`closing ${what} to ${connection.remotePeer.toString()}`, error) })
  }

  const onOpen = ({ detail: connection }: CustomEvent<Connection>): void => {
    if (!isDirect(connection)) return
    const peer = connection.remotePeer.toString()
    // The relayed connection only carried the signalling; traffic goes direct from now on.
    for (const other of node.getConnections(connection.remotePeer)) {
      if (!other.direct) closeQuietly(other, 'the relayed connection a direct one replaced')
    }
    dropDuplicates(peer)
    // Tell the peer every thread we are on, so both sides know what to sync over this connection.
    for (const thread of threads.keys()) { sayPresent(thread, true); schedulePresence(thread, true) }
    startSyncs(peer)
  }
  const onClose = ({ detail: connection }: CustomEvent<Connection>): void => {
    if (!connection.remoteAddr.toString().includes('/webrtc')) return
    const peer = connection.remotePeer.toString()
    if (connected(peer)) return
    stopSyncs(peer)
    for (const [thread, entry] of threads) {
      if (!entry.peers.has(peer)) continue
      schedulePresence(thread, true)
      reach(peer, thread)
    }
  }
  // A tab arrived or left: connections that could not be made (or were lost with a tab) can be tried again.
  const onCarriers = (): void => {
    for (const [thread, entry] of threads) for (const peer of entry.peers.keys()) reach(peer, thread)
  }
  const onAddresses = (): void => {
    for (const thread of threads.keys()) sayPresent(thread)
  }
  let stopCarriers: (() => void) | undefined

  const lifecycle = createLifecycle({
    what: 'Finding direct peers',
    start: () => {
      node.addEventListener('connection:open', onOpen)
      node.addEventListener('connection:close', onClose)
      node.addEventListener('self:peer:update', onAddresses)
      stopCarriers = deps.carriers.onChange(onCarriers)
    },
    stop: async () => {
      node.removeEventListener('connection:open', onOpen)
      node.removeEventListener('connection:close', onClose)
      node.removeEventListener('self:peer:update', onAddresses)
      stopCarriers?.()
      stopped.abort()
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      const syncs = [...threads.values()].flatMap((entry) => { clearTimeout(entry.presenceTimer); return [...entry.syncs.values()] })
      threads.clear()
      await Promise.all(syncs.map(async (sync) => { await sync.stop() }))
    }
  })
  const running = (): boolean => lifecycle.state === 'running'

  return {
    get state () { return lifecycle.state },
    start: async () => { await lifecycle.start() },
    stop: async () => { await lifecycle.stop() },
    track (thread) {
      if (!running() || threads.has(thread)) return
      threads.set(thread, { peers: new Map(), syncs: new Map(), pushers: new Map(), lastPresence: 0, searchDelay: PRESENCE_SEARCHING_MS })
      sayPresent(thread, true)
      schedulePresence(thread, true)
    },
    onTopicMessage (thread, from, data) {
      const entry = running() ? threads.get(thread) : undefined
      if (entry === undefined || from === undefined || from.toString() === self) return
      const message = decodeTopicMessage(data)
      if (message?.type !== 'presence') return
      const peer = from.toString()
      // Only WebRTC addresses of the sender itself: a message cannot send us dialling elsewhere.
      const addrs = message.addrs.filter((a) => a.includes('/p2p-circuit/webrtc') && a.endsWith(`/p2p/${peer}`)).slice(0, 4).flatMap((a) => {
        try { return [multiaddr(a)] } catch (error) { log.failure(`dropped an address ${peer} sent`, error); return [] }
      })
      if (addrs.length === 0) return
      const known = entry.peers.get(peer)
      if (known !== undefined) known.addrs = addrs
      else if (entry.peers.size < MAX_PEERS_PER_THREAD) entry.peers.set(peer, { id: from, addrs })
      else return
      reach(peer, thread)
    },
    async kick (thread, hint) {
      await Promise.all([...threads.get(thread)?.syncs.values() ?? []].map(async (sync) => { await sync.kick(hint) }))
    },
    count (thread) {
      return [...threads.get(thread)?.peers.keys() ?? []].filter(connected).length
    },
    pushed (thread, peer, logs) {
      const entry = threads.get(thread)
      if (entry === undefined || !entry.syncs.has(peer)) return
      for (const log of new Set(logs)) {
        entry.pushers.delete(log)
        entry.pushers.set(log, peer)
      }
      // The least recently pushed are forgotten first: their pulls no longer wait.
      for (const log of entry.pushers.keys()) {
        if (entry.pushers.size <= MAX_PUSHED_LOGS_PER_THREAD) break
        entry.pushers.delete(log)
      }
    },
    pushesAll (thread, logs) {
      const entry = threads.get(thread)
      if (entry === undefined || logs.length === 0) return false
      return logs.every((log) => {
        const peer = entry.pushers.get(log)
        return peer !== undefined && entry.syncs.has(peer) && connected(peer)
      })
    },
    since (thread) {
      const opened = [...threads.get(thread)?.peers.keys() ?? []].flatMap((peer) => directTo(peer).map((c) => c.timeline.open))
      return opened.length === 0 ? undefined : Math.max(...opened)
    }
  }
}
