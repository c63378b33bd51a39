/**
 * The worker's side of the request/response link over a MessagePort.
 *
 * Guarantees: every message carrying an integer `id` gets exactly one reply — the
 * handler's result, or an `error` reply naming what went wrong (a thrown error, a
 * protocol version mismatch, an unknown or malformed request). Messages without an
 * id cannot be answered and are dropped. Handlers may push events to the tab
 * through their {@link LinkContext} until the server is closed; its `signal` then
 * aborts, so what a handler set up for the tab (a subscription) ends with it.
 */
import { MalformedMessageError, ProtocolMismatchError, toWireError } from './errors.ts'
import {
  PROTOCOL_VERSION, envelopeOf, isTabRequest,
  type ErrorReply, type EventBody, type NodeEvent, type ReplyBody, type RequestOf, type RequestType, type TabRequest
} from './messages.ts'
import type { PortMessageEvent, RpcPort } from './port.ts'

/** The link a request arrived on, as its handler sees it: one object per port, for as long as it is served. */
export interface LinkContext {
  /** Pushes an event to the tab on this link; does nothing once the link is closed. */
  emit(event: EventBody): void
  /** Aborted when the link is closed. */
  readonly signal: AbortSignal
}

/** One handler per request type; the compiler insists on all of them. */
export type RequestHandlers = {
  readonly [T in RequestType]: (request: RequestOf<T>, link: LinkContext) => ReplyBody<T> | Promise<ReplyBody<T>>
}

/** Options of {@link serveRpc}. */
export interface ServeRpcOptions {
  readonly port: RpcPort
  readonly handlers: RequestHandlers
}

/** A running server; `close` stops answering and closes the port. */
export interface RpcServer {
  close(): void
}

/** Answers requests arriving on `port` with `handlers`, and starts the port. */
export function serveRpc ({ port, handlers }: ServeRpcOptions): RpcServer {
  const closed = new AbortController()
  const link: LinkContext = {
    emit (event) {
      if (!closed.signal.aborted) port.postMessage({ ...event, v: PROTOCOL_VERSION } as NodeEvent) // spreading a union loses which member it was
    },
    signal: closed.signal
  }
  const replyError = (id: number, error: unknown): void => {
    const reply: ErrorReply = { v: PROTOCOL_VERSION, type: 'error', id, error: toWireError(error) }
    port.postMessage(reply)
  }

  const answer = async (request: TabRequest): Promise<void> => {
    try {
      // A request's type selects its handler; TypeScript cannot correlate the two through the union.
      const handler = handlers[request.type] as (r: TabRequest, l: LinkContext) => ReplyBody<RequestType> | Promise<ReplyBody<RequestType>>
      const body = await handler(request, link)
      port.postMessage({ ...body, v: PROTOCOL_VERSION, id: request.id })
    } catch (error) {
      replyError(request.id, error)
    }
  }

  const onMessage = ({ data }: PortMessageEvent): void => {
    if (isTabRequest(data)) {
      void answer(data)
      return
    }
    const envelope = envelopeOf(data)
    if (envelope?.id === undefined) return
    replyError(envelope.id, envelope.v === PROTOCOL_VERSION
      ? new MalformedMessageError(`Unknown or malformed request of type ${String(envelope.type)}`)
      : new ProtocolMismatchError(`The background node speaks protocol v${PROTOCOL_VERSION} but the tab sent v${String(envelope.v)}; reload the page`))
  }

  port.addEventListener('message', onMessage)
  port.start()
  return {
    close (): void {
      if (closed.signal.aborted) return
      closed.abort()
      port.removeEventListener('message', onMessage)
      port.close()
    }
  }
}
