/**
 * The worker's side of the request/response link over a MessagePort.
 *
 * Guarantees: every message carrying an integer `id` gets exactly one reply — the
 * handler's result, or an `error` reply naming what went wrong (a thrown error, a
 * protocol version mismatch, an unknown or malformed request). Messages without an
 * id cannot be answered and are dropped.
 */
import { MalformedMessageError, ProtocolMismatchError, toWireError } from './errors.ts'
import {
  PROTOCOL_VERSION, envelopeOf, isTabRequest,
  type ErrorReply, type ReplyBody, type RequestOf, type RequestType, type TabRequest
} from './messages.ts'
import type { PortMessageEvent, RpcPort } from './port.ts'

/** One handler per request type; the compiler insists on all of them. */
export type RequestHandlers = {
  readonly [T in RequestType]: (request: RequestOf<T>) => ReplyBody<T> | Promise<ReplyBody<T>>
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
  const replyError = (id: number, error: unknown): void => {
    const reply: ErrorReply = { v: PROTOCOL_VERSION, type: 'error', id, error: toWireError(error) }
    port.postMessage(reply)
  }

  const answer = async (request: TabRequest): Promise<void> => {
    try {
      // A request's type selects its handler; TypeScript cannot correlate the two through the union.
      const handler = handlers[request.type] as (r: TabRequest) => ReplyBody<RequestType> | Promise<ReplyBody<RequestType>>
      const body = await handler(request)
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
      port.removeEventListener('message', onMessage)
      port.close()
    }
  }
}
