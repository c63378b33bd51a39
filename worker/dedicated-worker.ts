/**
 * Fallback where SharedWorker is missing (Chrome on Android): each tab runs
 * this dedicated worker. Exactly one of them, the holder of the Web Lock
 * "threads-node", runs the node and owns the logs; every worker (the leader's
 * too) relays its tab's messages to the leader over a BroadcastChannel. When
 * the leader's tab closes, its lock is released and the next worker in line
 * starts the node over the same IndexedDB.
 *
 * Channel messages: { kind: 'request', from, data } to the leader;
 * { kind: 'reply', to, data } back; { kind: 'leader', leader } when a leader
 * is ready (and again whenever a worker asks); { kind: 'who-leads' } from a
 * worker that has not seen one yet.
 *
 * A handover must not leave a tab waiting on requests the old leader took to
 * its grave: each worker's tab requests go through src/services/tab-requests.ts,
 * which repeats to a new leader what the protocol declares safe to repeat (and
 * the tab's subscription) and answers the rest with a HandoverError in words.
 */
import type { PortMessageEvent, RpcPort } from '../src/protocol/port.ts'
import { NODE_LOCK } from '../src/protocol/shared-names.ts'
import { isBridgeOffer } from '../src/protocol/rtc-bridge.ts'
import { createPortHub } from '../src/services/port-hub.ts'
import { createTabRequests } from '../src/services/tab-requests.ts'
import { randomId } from '../src/protocol/random-id.ts'
import { setupNode } from './node-setup.ts'
import { carriers } from './rtc-bridge/carriers.ts'

const CHANNEL = NODE_LOCK // the workers' channel is named after the lock its leader holds
const LOCK = NODE_LOCK

type ChannelMessage =
  | { readonly kind: 'request', readonly from: string, readonly data: unknown }
  | { readonly kind: 'reply', readonly to: string, readonly data: unknown }
  | { readonly kind: 'leader', readonly leader: string }
  | { readonly kind: 'who-leads' }

// The WebWorker library's `self` is the scope common to all workers; this script runs as a dedicated one.
declare const self: DedicatedWorkerGlobalScope
const tabId = randomId()

// Relay: this tab's requests go to the leader; replies addressed to this tab come back.
const relay = new BroadcastChannel(CHANNEL)
/** This tab's offer to carry WebRTC connections: used only while this worker leads (a dedicated worker dies with its tab). */
let bridge: { tab: string, port: MessagePort } | undefined
let leading = false

const requests = createTabRequests({
  forward: (data) => { relay.postMessage({ kind: 'request', from: tabId, data } satisfies ChannelMessage) },
  reply: (data) => { self.postMessage(data) }
})

self.addEventListener('message', (event) => {
  if (isBridgeOffer(event.data) && event.ports[0] !== undefined) {
    bridge = { tab: event.data.tab, port: event.ports[0] }
    if (leading) carriers.add(bridge.tab, bridge.port)
    return
  }
  requests.fromTab(event.data)
})
relay.addEventListener('message', (event: MessageEvent<ChannelMessage>) => {
  const message = event.data
  if (message.kind === 'reply' && message.to === tabId) requests.fromNode(message.data)
  if (message.kind === 'leader') requests.leaderIs(message.leader)
})
relay.postMessage({ kind: 'who-leads' } satisfies ChannelMessage)

// Leadership: whoever holds the lock serves every tab until its own tab goes away.
void navigator.locks.request(LOCK, async () => {
  leading = true
  if (bridge !== undefined) carriers.add(bridge.tab, bridge.port)
  const server = new BroadcastChannel(CHANNEL)
  const hub = createPortHub({ setup: async () => await setupNode(randomId()) })
  /** One virtual port per tab; like a MessagePort, it holds messages until started. */
  const tabs = new Map<string, { deliver: (data: unknown) => void }>()
  const portFor = (tab: string): RpcPort => {
    const listeners = new Set<(event: PortMessageEvent) => void>()
    let queued: unknown[] | undefined = []
    tabs.set(tab, {
      deliver: (data) => {
        if (queued !== undefined) queued.push(data)
        else for (const listener of listeners) listener({ data })
      }
    })
    return {
      postMessage: (data) => { server.postMessage({ kind: 'reply', to: tab, data } satisfies ChannelMessage) },
      addEventListener: (_type, listener) => { listeners.add(listener) },
      removeEventListener: (_type, listener) => { listeners.delete(listener) },
      start: () => {
        const waiting = queued ?? []
        queued = undefined
        for (const data of waiting) for (const listener of listeners) listener({ data })
      },
      close: () => { tabs.delete(tab) }
    }
  }
  server.addEventListener('message', (event: MessageEvent<ChannelMessage>) => {
    const message = event.data
    if (message.kind === 'who-leads') server.postMessage({ kind: 'leader', leader: tabId } satisfies ChannelMessage)
    if (message.kind !== 'request') return
    if (!tabs.has(message.from)) hub.connect(portFor(message.from))
    tabs.get(message.from)?.deliver(message.data)
  })
  server.postMessage({ kind: 'leader', leader: tabId } satisfies ChannelMessage)
  // Hold the lock for as long as this worker lives.
  await new Promise<never>(() => {})
})
