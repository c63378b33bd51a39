/**
 * Accepts tab ports for the SharedWorker while its node is still being set up.
 *
 * Guarantees: `connect` never waits and never drops a port. Ports that arrive
 * before setup finishes are queued; their messages wait inside the port, which
 * delivers nothing until it is started. When setup finishes every queued port and
 * every later one is served. If setup fails, every request on every port is
 * answered with an error naming the failure, so tabs can tell the user.
 */
import { REPLY_TYPE_OF } from '../src/protocol/messages.ts'
import { serveRpc, type RequestHandlers } from '../src/protocol/rpc-server.ts'
import type { RpcPort } from '../src/protocol/port.ts'
import { NodeSetupError } from './errors.ts'

/** Options of {@link createPortHub}. */
export interface PortHubOptions {
  /** Builds the node and returns the handlers that serve it. */
  readonly setup: () => Promise<RequestHandlers>
}

/** Where connecting ports are handed in. */
export interface PortHub {
  connect(port: RpcPort): void
}

/** Starts `setup` at once and serves ports as they connect. */
export function createPortHub ({ setup }: PortHubOptions): PortHub {
  let handlers: RequestHandlers | undefined
  const waiting: RpcPort[] = []

  void setup().then(
    (ready) => { handlers = ready },
    (error: unknown) => { handlers = failingHandlers(new NodeSetupError(`The background node could not start: ${describe(error)}`, { cause: error })) }
  ).then(() => {
    for (const port of waiting.splice(0)) serve(port)
  })

  function serve (port: RpcPort): void {
    // Only called once handlers is set: before that, ports wait in the queue.
    serveRpc({ port, handlers: handlers as RequestHandlers })
  }

  return {
    connect (port: RpcPort): void {
      if (handlers === undefined) waiting.push(port)
      else serve(port)
    }
  }
}

function failingHandlers (error: Error): RequestHandlers {
  const fail = (): never => { throw error }
  return Object.fromEntries(Object.keys(REPLY_TYPE_OF).map((type) => [type, fail])) as unknown as RequestHandlers
}

function describe (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
