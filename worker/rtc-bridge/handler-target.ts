/**
 * An EventTarget that also calls `on<type>` handler properties, as the
 * browser's WebRTC objects do: libp2p's WebRTC transport uses both styles.
 */
export class HandlerTarget extends EventTarget {
  /** Dispatches `event` to listeners and to the `on<type>` property, if set. */
  protected fire (event: Event): void {
    this.dispatchEvent(event)
    const handler = (this as unknown as Record<string, unknown>)[`on${event.type}`]
    if (typeof handler === 'function') handler.call(this, event)
  }

  /** A plain event of `type` carrying `fields` (as RTCPeerConnectionIceEvent carries `candidate`). */
  protected static eventOf (type: string, fields: Record<string, unknown> = {}): Event {
    return Object.assign(new Event(type), fields)
  }
}
