/**
 * An RTCPeerConnection for the worker whose real connection lives in a tab
 * (see carriers.ts). It implements what libp2p's WebRTC transport uses: data
 * channels, offer/answer, ICE candidates and the connection state. Calls go to
 * the tab in order and are answered there; if no tab is open, or the tab goes
 * away, the connection fails and libp2p closes it.
 */
import type { BridgeArgument, BridgeEvent, BridgeMethod } from '../../src/protocol/rtc-bridge.ts'
import { carriers, type BridgeTarget, type Carrier } from './carriers.ts'
import { HandlerTarget } from './handler-target.ts'
import { RemoteDataChannel } from './remote-data-channel.ts'
import { ThreadsError } from '../../src/core/errors.ts'

type Handler = ((event: Event) => void) | null
let nextHandle = 1
/**
 * How long a connection may stay "disconnected" before it counts as failed. A
 * browser waits about 30 s; a peer whose tab closed never comes back, and the
 * node should know soon so it can reconnect.
 */
const DISCONNECTED_GRACE_MS = 5000

/** Thrown where a peer connection was needed and no tab could carry it. */
export class NoBridgeError extends ThreadsError {
  static override readonly errorName = 'NoBridgeError'
}

export class RemotePeerConnection extends HandlerTarget implements BridgeTarget {
  connectionState: RTCPeerConnectionState = 'new'
  onconnectionstatechange: Handler = null
  onicecandidate: Handler = null
  onicecandidateerror: Handler = null
  ondatachannel: Handler = null
  readonly #handle = nextHandle++
  readonly #carrier: Carrier | undefined
  readonly #calls = new Map<number, { resolve: (value: BridgeArgument | undefined) => void, reject: (error: Error) => void }>()
  readonly #channels = new Set<RemoteDataChannel>()
  #grace: ReturnType<typeof setTimeout> | undefined

  constructor (config?: RTCConfiguration) {
    super()
    this.#carrier = carriers.current()
    if (this.#carrier === undefined) {
      // Failing later, not throwing now, is what a real connection does when it cannot connect.
      queueMicrotask(() => { this.#setState('failed') })
      return
    }
    this.#carrier.register(this.#handle, this)
    // Credentials too: a TURN server takes none without them.
    const iceServers = (config?.iceServers ?? []).map((s) => ({ urls: s.urls, ...(s.username === undefined ? {} : { username: s.username }), ...(s.credential === undefined ? {} : { credential: s.credential }) }))
    this.#carrier.post({ op: 'pc.create', pc: this.#handle, config: { iceServers } })
  }

  createDataChannel (label: string, options?: RTCDataChannelInit): RemoteDataChannel {
    const carrier = this.#live()
    const handle = nextHandle++
    const channel = this.#adopt(carrier, { handle, label, protocol: options?.protocol ?? '', id: null, readyState: 'connecting' })
    carrier.post({ op: 'dc.create', pc: this.#handle, dc: handle, label, options: { ordered: options?.ordered ?? true, protocol: options?.protocol ?? '' } })
    return channel
  }

  async createOffer (): Promise<BridgeArgument | undefined> { return await this.#call('createOffer') }
  async createAnswer (): Promise<BridgeArgument | undefined> { return await this.#call('createAnswer') }
  async setLocalDescription (description?: { type: string, sdp?: string }): Promise<void> {
    await this.#call('setLocalDescription', description === undefined ? null : { type: description.type, sdp: description.sdp ?? '' })
  }

  async setRemoteDescription (description: { type: string, sdp?: string }): Promise<void> {
    await this.#call('setRemoteDescription', { type: description.type, sdp: description.sdp ?? '' })
  }

  async addIceCandidate (candidate?: { toJSON?: () => unknown } | Record<string, unknown> | null): Promise<void> {
    const plain = candidate == null ? null : typeof candidate.toJSON === 'function' ? candidate.toJSON() : candidate
    await this.#call('addIceCandidate', plain as BridgeArgument)
  }

  close (): void {
    if (this.connectionState === 'closed') return
    this.#carrier?.post({ op: 'pc.close', pc: this.#handle })
    // As in browsers, close() itself fires no state change event.
    this.#teardown(false)
  }

  onBridgeEvent (event: BridgeEvent): void {
    switch (event.ev) {
      case 'pc.state':
        clearTimeout(this.#grace)
        if (event.state === 'closed' || event.state === 'failed') this.#teardown(true, event.state)
        else this.#setState(event.state)
        if (event.state === 'disconnected') {
          this.#grace = setTimeout(() => {
            this.#carrier?.post({ op: 'pc.close', pc: this.#handle })
            this.#teardown(true, 'failed')
          }, DISCONNECTED_GRACE_MS)
        }
        return
      case 'pc.candidate':
        this.fire(HandlerTarget.eventOf('icecandidate', { candidate: event.candidate === null ? null : new BridgedIceCandidate(event.candidate) }))
        return
      case 'pc.datachannel': {
        const channel = this.#adopt(this.#carrier!, { handle: event.dc, label: event.label, protocol: event.protocol, id: event.channelId, readyState: event.readyState })
        this.fire(HandlerTarget.eventOf('datachannel', { channel }))
        return
      }
      case 'pc.reply': {
        const pending = this.#calls.get(event.call)
        this.#calls.delete(event.call)
        if (event.ok) pending?.resolve(event.value)
        else pending?.reject(Object.assign(new Error(event.error.message), { name: event.error.name }))
      }
    }
  }

  onCarrierLost (): void {
    this.#teardown(true, 'closed')
  }

  #adopt (carrier: Carrier, init: { handle: number, label: string, protocol: string, id: number | null, readyState: RTCDataChannelState }): RemoteDataChannel {
    const channel: RemoteDataChannel = new RemoteDataChannel({ ...init, carrier, onGone: () => { this.#channels.delete(channel) } })
    this.#channels.add(channel)
    return channel
  }

  #live (): Carrier {
    if (this.#carrier === undefined || this.#carrier.lost || this.connectionState === 'closed') {
      throw new NoBridgeError('No open tab can carry WebRTC connections for the node')
    }
    return this.#carrier
  }

  async #call (method: BridgeMethod, arg?: BridgeArgument): Promise<BridgeArgument | undefined> {
    const carrier = this.#live()
    const call = nextHandle++
    return await new Promise((resolve, reject) => {
      this.#calls.set(call, { resolve, reject })
      carrier.post(arg === undefined ? { op: 'pc.call', pc: this.#handle, call, method } : { op: 'pc.call', pc: this.#handle, call, method, arg })
    })
  }

  #setState (state: RTCPeerConnectionState): void {
    if (this.connectionState === state || this.connectionState === 'closed') return
    this.connectionState = state
    this.fire(HandlerTarget.eventOf('connectionstatechange'))
  }

  /** Ends the connection: pending calls fail, channels close, and (when `announce`) listeners hear the new state. */
  #teardown (announce: boolean, state: 'closed' | 'failed' = 'closed'): void {
    if (this.connectionState === 'closed') return
    clearTimeout(this.#grace)
    this.#carrier?.unregister(this.#handle)
    for (const { reject } of this.#calls.values()) reject(new NoBridgeError('The tab carrying this WebRTC connection went away'))
    this.#calls.clear()
    for (const channel of [...this.#channels]) channel.onCarrierLost()
    if (announce) this.#setState(state)
    this.connectionState = 'closed'
  }
}

/** An ICE candidate as libp2p reads it: its fields, and `toJSON` for the signalling message. */
export class BridgedIceCandidate {
  readonly candidate: string
  readonly #init: Record<string, unknown>
  constructor (init: Record<string, unknown>) {
    this.#init = { ...init }
    this.candidate = typeof init.candidate === 'string' ? init.candidate : ''
    Object.assign(this, init)
  }

  toJSON (): Record<string, unknown> { return this.#init }
}

/** A session description as plain data. */
export class BridgedSessionDescription {
  readonly type: string
  readonly sdp: string
  constructor (init: { type: string, sdp?: string }) {
    this.type = init.type
    this.sdp = init.sdp ?? ''
  }

  toJSON (): { type: string, sdp: string } { return { type: this.type, sdp: this.sdp } }
}
