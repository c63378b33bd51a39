/**
 * An RTCDataChannel in the worker whose real channel lives in a tab (see
 * carriers.ts). State and events mirror the real one as the tab reports them;
 * `bufferedAmount` counts bytes still on their way to the tab plus what the
 * real channel last said it buffers, so libp2p's backpressure keeps working.
 */
import type { BridgeEvent } from '../../src/protocol/rtc-bridge.ts'
import type { BridgeTarget, Carrier } from './carriers.ts'
import { HandlerTarget } from './handler-target.ts'

type Handler = ((event: Event) => void) | null

export class RemoteDataChannel extends HandlerTarget implements BridgeTarget {
  id: number | null
  readonly label: string
  readonly protocol: string
  readyState: RTCDataChannelState
  binaryType: BinaryType = 'arraybuffer'
  bufferedAmountLowThreshold = 0
  onopen: Handler = null
  onclose: Handler = null
  onerror: Handler = null
  onmessage: ((event: MessageEvent) => void) | null = null
  onbufferedamountlow: Handler = null
  readonly #carrier: Carrier
  readonly #handle: number
  readonly #onGone: () => void
  #inFlight = 0
  #tabBuffered = 0

  constructor (init: { carrier: Carrier, handle: number, label: string, protocol: string, id: number | null, readyState: RTCDataChannelState, onGone: () => void }) {
    super()
    this.#carrier = init.carrier
    this.#handle = init.handle
    this.label = init.label
    this.protocol = init.protocol
    this.id = init.id
    this.readyState = init.readyState
    this.#onGone = init.onGone
    init.carrier.register(init.handle, this)
  }

  get bufferedAmount (): number { return this.#inFlight + this.#tabBuffered }

  send (data: ArrayBuffer | ArrayBufferView | string): void {
    if (this.readyState !== 'open') throw new DOMException(`data channel is ${this.readyState}`, 'InvalidStateError')
    const bytes = typeof data === 'string'
      ? new TextEncoder().encode(data)
      : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    // A copy of its own, so the caller may reuse its buffer and this one can be transferred.
    const copy = bytes.slice().buffer
    this.#inFlight += copy.byteLength
    this.#carrier.post({ op: 'dc.send', dc: this.#handle, data: copy }, [copy])
  }

  close (): void {
    if (this.readyState === 'closing' || this.readyState === 'closed') return
    this.readyState = 'closing'
    this.#carrier.post({ op: 'dc.close', dc: this.#handle })
  }

  onBridgeEvent (event: BridgeEvent): void {
    switch (event.ev) {
      case 'dc.open':
        this.id = event.channelId
        this.readyState = 'open'
        this.fire(HandlerTarget.eventOf('open'))
        return
      case 'dc.message': {
        const message = new MessageEvent('message', { data: event.data })
        this.dispatchEvent(message)
        this.onmessage?.(message)
        return
      }
      case 'dc.sent': {
        const before = this.bufferedAmount
        this.#inFlight = Math.max(0, this.#inFlight - event.size)
        this.#tabBuffered = event.buffered
        if (before > this.bufferedAmountLowThreshold && this.bufferedAmount <= this.bufferedAmountLowThreshold) this.fire(HandlerTarget.eventOf('bufferedamountlow'))
        return
      }
      case 'dc.error':
        this.fire(HandlerTarget.eventOf('error', { error: new Error(event.message) }))
        return
      case 'dc.close':
        this.#closed()
    }
  }

  onCarrierLost (): void {
    this.#closed()
  }

  #closed (): void {
    if (this.readyState === 'closed') return
    this.readyState = 'closed'
    this.#carrier.unregister(this.#handle)
    this.#onGone()
    this.fire(HandlerTarget.eventOf('close'))
  }
}
