/**
 * The tabs that can carry the node's WebRTC connections (see
 * src/protocol/rtc-bridge.ts). New peer connections go to the oldest tab still
 * open. When a tab goes away (the worker is granted the Web Lock that tab held
 * for its life), everything it carried is reported lost, so libp2p closes those
 * connections and the node redials them through the next tab.
 */
import { tabLockName, type BridgeCommand, type BridgeEvent } from '../../src/protocol/rtc-bridge.ts'

/** Something that lives on a carrier and hears its events: a peer connection or a data channel. */
export interface BridgeTarget {
  onBridgeEvent(event: BridgeEvent): void
  onCarrierLost(): void
}

/** One tab's bridge. */
export class Carrier {
  readonly tab: string
  readonly #port: MessagePort
  readonly #targets = new Map<number, BridgeTarget>()
  #lost = false

  constructor (tab: string, port: MessagePort) {
    this.tab = tab
    this.#port = port
    port.onmessage = ({ data }: MessageEvent<BridgeEvent>) => { this.#route(data) }
    port.start()
  }

  get lost (): boolean { return this.#lost }

  post (command: BridgeCommand, transfer: Transferable[] = []): void {
    if (!this.#lost) this.#port.postMessage(command, transfer)
  }

  register (handle: number, target: BridgeTarget): void { this.#targets.set(handle, target) }
  unregister (handle: number): void { this.#targets.delete(handle) }

  /** The tab is gone: every connection and channel it carried is lost. */
  lose (): void {
    if (this.#lost) return
    this.#lost = true
    const targets = [...this.#targets.values()]
    this.#targets.clear()
    for (const target of targets) target.onCarrierLost()
    this.#port.close()
  }

  #route (event: BridgeEvent): void {
    const handle = event.ev.startsWith('pc.') ? (event as { pc: number }).pc : (event as { dc: number }).dc
    this.#targets.get(handle)?.onBridgeEvent(event)
  }
}

/** The tabs offering a bridge, oldest first. */
export class CarrierPool {
  readonly #carriers: Carrier[] = []
  readonly #listeners = new Set<() => void>()

  /** Adds a tab's bridge and watches for the tab going away. */
  add (tab: string, port: MessagePort): void {
    if (this.#carriers.some((c) => c.tab === tab)) { port.close(); return }
    const carrier = new Carrier(tab, port)
    this.#carriers.push(carrier)
    // Granted only once the tab, which holds this lock for its whole life, is gone.
    void navigator.locks.request(tabLockName(tab), async () => { this.#remove(carrier) })
    this.#changed()
  }

  /** The tab new connections go through, if any is open. */
  current (): Carrier | undefined {
    return this.#carriers.find((c) => !c.lost)
  }

  /** Calls `listener` whenever a tab arrives or leaves. */
  onChange (listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  #remove (carrier: Carrier): void {
    const index = this.#carriers.indexOf(carrier)
    if (index >= 0) this.#carriers.splice(index, 1)
    carrier.lose()
    this.#changed()
  }

  #changed (): void {
    for (const listener of this.#listeners) listener()
  }
}

/** The worker's one pool: peer connections are constructed by libp2p, which cannot pass it in. */
export const carriers = new CarrierPool()
