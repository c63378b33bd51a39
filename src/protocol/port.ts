/**
 * The part of a MessagePort the RPC uses. Browser ports (window, SharedWorker) and
 * Node's global `MessageChannel` ports both fit, so the link is testable in Node.
 */

/** A message event as far as the RPC reads it. */
export interface PortMessageEvent {
  readonly data: unknown
}

/** A MessagePort, structurally. */
export interface RpcPort {
  postMessage(message: unknown): void
  addEventListener(type: 'message', listener: (event: PortMessageEvent) => void): void
  removeEventListener(type: 'message', listener: (event: PortMessageEvent) => void): void
  /** Starts delivery; until then messages wait in the port. */
  start(): void
  close(): void
}
