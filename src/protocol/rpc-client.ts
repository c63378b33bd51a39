/**
 * The tab's side of the request/response link over a MessagePort.
 *
 * Guarantees: every `request` settles exactly once — with the reply whose `id`
 * matches, with a {@link RemoteError} for an `error` reply, or with a named error on
 * timeout, abort, a version mismatch or `close`. Well-formed events (messages of
 * this version without an id) go to the `onEvent` listeners. Other messages that
 * are not replies to a pending request are ignored: they may be answers to
 * requests already timed out.
 */
import { AbortError } from '../core/errors.ts'
import { LinkClosedError, MalformedMessageError, ProtocolMismatchError, RemoteError, RpcTimeoutError } from './errors.ts'
import {
  PROTOCOL_VERSION, REPLY_TYPE_OF, envelopeOf, isNodeEvent, isWorkerReply,
  type NodeEvent, type ReplyTo, type RequestBody, type RequestType, type WorkerReply
} from './messages.ts'
import type { PortMessageEvent, RpcPort } from './port.ts'

/** Options of one request. */
export interface RequestOptions {
  readonly signal?: AbortSignal
  /** Overrides the client's default timeout for this request. */
  readonly timeoutMs?: number
}

/** A request/response client over one port. */
export interface RpcClient {
  /** Sends a request and resolves with its reply. */
  request<T extends RequestType>(body: RequestBody<T> & { readonly type: T }, options?: RequestOptions): Promise<ReplyTo<T>>
  /** Calls `listener` with every event the worker pushes; returns a function that stops that. */
  onEvent(listener: (event: NodeEvent) => void): () => void
  /** Rejects every pending request with `reason` (default {@link LinkClosedError}) and closes the port. */
  close(reason?: Error): void
}

/** Options of {@link createRpcClient}. */
export interface RpcClientOptions {
  readonly port: RpcPort
  /** How long a request may wait for its reply; 10 s unless given. */
  readonly timeoutMs?: number
}

interface Pending {
  readonly expect: string
  resolve(reply: WorkerReply): void
  reject(error: Error): void
}

/** Creates a client on `port` and starts the port. */
export function createRpcClient ({ port, timeoutMs: defaultTimeoutMs = 10_000 }: RpcClientOptions): RpcClient {
  const pending = new Map<number, Pending>()
  const listeners = new Set<(event: NodeEvent) => void>()
  let nextId = 1
  let closed: Error | undefined

  const onMessage = ({ data }: PortMessageEvent): void => {
    if (isNodeEvent(data)) {
      for (const listener of [...listeners]) listener(data)
      return
    }
    const envelope = envelopeOf(data)
    const entry = envelope?.id === undefined ? undefined : pending.get(envelope.id)
    if (envelope === undefined || entry === undefined) return
    if (envelope.v !== PROTOCOL_VERSION) {
      entry.reject(new ProtocolMismatchError(`This tab speaks protocol v${PROTOCOL_VERSION} but the background node answered with v${String(envelope.v)}; reload the page`))
    } else if (!isWorkerReply(data)) {
      entry.reject(new MalformedMessageError(`Malformed reply of type ${String(envelope.type)}`))
    } else if (data.type === 'error') {
      entry.reject(new RemoteError(data.error))
    } else if (data.type !== entry.expect) {
      entry.reject(new MalformedMessageError(`Expected a ${entry.expect} reply, got ${data.type}`))
    } else {
      entry.resolve(data)
    }
  }
  port.addEventListener('message', onMessage)
  port.start()

  const client = {
    request<T extends RequestType> (body: RequestBody<T> & { readonly type: T }, options: RequestOptions = {}): Promise<ReplyTo<T>> {
      const { signal, timeoutMs = defaultTimeoutMs } = options
      if (closed !== undefined) return Promise.reject(closed)
      if (signal?.aborted === true) return Promise.reject(new AbortError('The request was aborted', { cause: signal.reason }))
      const id = nextId++
      return new Promise<ReplyTo<T>>((resolve, reject) => {
        const settle = (): void => {
          pending.delete(id)
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
        }
        const onAbort = (): void => {
          settle()
          reject(new AbortError(`The ${body.type} request was aborted`, { cause: signal?.reason }))
        }
        const timer = setTimeout(() => {
          settle()
          reject(new RpcTimeoutError(`The background node did not answer ${body.type} within ${timeoutMs / 1000} s`))
        }, timeoutMs)
        signal?.addEventListener('abort', onAbort, { once: true })
        pending.set(id, {
          expect: REPLY_TYPE_OF[body.type],
          // The reply's type was checked against REPLY_TYPE_OF before resolving.
          resolve: (reply) => { settle(); resolve(reply as ReplyTo<T>) },
          reject: (error) => { settle(); reject(error) }
        })
        port.postMessage({ ...body, v: PROTOCOL_VERSION, id })
      })
    },

    onEvent (listener: (event: NodeEvent) => void): () => void {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },

    close (reason: Error = new LinkClosedError('The link to the background node was closed')): void {
      if (closed !== undefined) return
      closed = reason
      listeners.clear()
      for (const entry of [...pending.values()]) entry.reject(reason)
      port.removeEventListener('message', onMessage)
      port.close()
    }
  }
  // The generic request cannot be checked against the union of request types member by member.
  return client as unknown as RpcClient
}
