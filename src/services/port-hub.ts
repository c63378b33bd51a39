/**
 * Accepts tab ports for a background node while it is still being set up (the
 * SharedWorker's, or the fallback's leading dedicated worker's).
 *
 * Guarantees: `connect` never waits and never drops a port. Ports that arrive
 * before setup finishes are queued; their messages wait inside the port, which
 * delivers nothing until it is started. When setup finishes every queued port and
 * every later one is served. If setup fails, every request on every port is
 * answered with an error naming the failure, so tabs can tell the user. A port
 * can be let go (its tab is gone): what was set up for it, such as its
 * subscription, ends.
 */
import { REPLY_TYPE_OF } from '../protocol/messages.ts'
import { serveRpc, type RequestHandlers, type RpcServer } from '../protocol/rpc-server.ts'
import type { RpcPort } from '../protocol/port.ts'
import { NodeSetupError } from './errors.ts'

/** Options of {@link createPortHub}. */
export interface PortHubOptions {
  /** Builds the node and returns the handlers that serve it. */
  readonly setup: () => Promise<RequestHandlers>
}

/** Where connecting ports are handed in. */
export interface PortHub {
  /** Serves `port` (once setup is done); `release` stops serving it and closes it. */
  connect(port: RpcPort): { release(): void }
}

/** Starts `setup` at once and serves ports as they connect. */
export function createPortHub ({ setup }: PortHubOptions): PortHub {
  let handlers: RequestHandlers | undefined
  const waiting: Array<{ port: RpcPort, served: (server: RpcServer) => void }> = []

  void setup().then(
    (ready) => { handlers = ready },
    (error: unknown) => { handlers = failingHandlers(new NodeSetupError(`The background node could not start: ${describe(error)}`, { cause: error })) }
  ).then(() => {
    for (const { port, served } of waiting.splice(0)) served(serve(port))
  })

  function serve (port: RpcPort): RpcServer {
    // Only called once handlers is set: before that, ports wait in the queue.
    return serveRpc({ port, handlers: handlers as RequestHandlers })
  }

  return {
    connect (port: RpcPort) {
      let server: RpcServer | undefined
      let released = false
      const served = (s: RpcServer): void => { server = s; if (released) s.close() }
      if (handlers === undefined) waiting.push({ port, served })
      else served(serve(port))
      return {
        release () {
          released = true
          server?.close()
        }
      }
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
