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
 * its grave. Each worker keeps its tab's unanswered requests; when a different
 * leader announces itself, it sends the new leader again those the protocol
 * declares safe to repeat (SAFE_TO_REPEAT in src/protocol/messages.ts), and
 * answers the others at once with a HandoverError saying in words that the
 * change may or may not have been saved. The tab's latest subscription goes to
 * the new leader too, answered or not, so the tab keeps hearing its album's
 * changes.
 */
import type { PortMessageEvent, RpcPort } from '../src/protocol/port.ts'
import { NODE_LOCK } from '../src/protocol/shared-names.ts'
import { isBridgeOffer } from '../src/protocol/rtc-bridge.ts'
import { HandoverError, toWireError } from '../src/protocol/errors.ts'
import { PROTOCOL_VERSION, SUBSCRIBING_TYPES, envelopeOf, isSafeToRepeat, type ErrorReply, type RequestType } from '../src/protocol/messages.ts'
import { createPortHub } from './port-hub.ts'
import { randomId, setupNode } from './node-setup.ts'
import { carriers } from './rtc-bridge/carriers.ts'

const CHANNEL = 'threads-node'
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
/** The leader requests are sent to; undefined until one has announced itself. */
let leader: string | undefined
const held: unknown[] = []
/** This tab's requests sent to the leader and not answered yet, by request id. */
const unanswered = new Map<number, { readonly type: unknown, readonly data: unknown }>()
/** This tab's latest subscription request, answered or not: a new leader must be sent it again. */
let subscription: { readonly id: number, readonly data: unknown } | undefined
/** This tab's offer to carry WebRTC connections: used only while this worker leads (a dedicated worker dies with its tab). */
let bridge: { tab: string, port: MessagePort } | undefined
let leading = false

const send = (data: unknown): void => {
  const envelope = envelopeOf(data)
  if (envelope?.id !== undefined) unanswered.set(envelope.id, { type: envelope.type, data })
  if (envelope?.id !== undefined && SUBSCRIBING_TYPES.has(envelope.type as RequestType)) subscription = { id: envelope.id, data }
  relay.postMessage({ kind: 'request', from: tabId, data } satisfies ChannelMessage)
}

/** A new leader took over: repeat what can be repeated, and say what may have been lost. */
const handOver = (): void => {
  const waiting = [...unanswered]
  unanswered.clear()
  if (subscription !== undefined && !waiting.some(([id]) => id === subscription?.id)) send(subscription.data)
  for (const [id, request] of waiting) {
    if (isSafeToRepeat(request.type)) {
      send(request.data)
      continue
    }
    const reply: ErrorReply = {
      v: PROTOCOL_VERSION,
      type: 'error',
      id,
      error: toWireError(new HandoverError('The tab running the background node closed while this was being done, so it may or may not have been saved. Check, and try again if it is missing.'))
    }
    self.postMessage(reply)
  }
}

self.addEventListener('message', (event) => {
  if (isBridgeOffer(event.data) && event.ports[0] !== undefined) {
    bridge = { tab: event.data.tab, port: event.ports[0] }
    if (leading) carriers.add(bridge.tab, bridge.port)
    return
  }
  if (leader !== undefined) send(event.data)
  else held.push(event.data)
})
relay.addEventListener('message', (event: MessageEvent<ChannelMessage>) => {
  const message = event.data
  if (message.kind === 'reply' && message.to === tabId) {
    const id = envelopeOf(message.data)?.id
    if (id !== undefined) unanswered.delete(id)
    self.postMessage(message.data)
  }
  if (message.kind === 'leader' && message.leader !== leader) {
    const previous = leader
    leader = message.leader
    if (previous !== undefined) handOver()
    for (const data of held.splice(0)) send(data)
  }
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
