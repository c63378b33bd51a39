/**
 * Namespaced debug logging, shared by every runtime: `debug`-style loggers
 * (through weald, the ESM port of `debug` that libp2p's own logger is built on)
 * named `threads:<component>`, silent unless turned on. Node reads the `DEBUG`
 * environment variable, a page its `localStorage.debug`; workers, which have
 * neither, are turned on by their host (see worker/log.ts). One switch such as
 * `threads:*,libp2p:*` traces this code and libp2p's together.
 *
 * Guarantees: a logger never throws and costs one flag check while it is off;
 * a failure is logged with its whole chain of causes (bounded), since a wrapped
 * error's message alone rarely says what went wrong underneath.
 */
import weald from 'weald'

/** A component's logger. */
export interface Logger {
  /** Something worth seeing when tracing (a retry, a dropped message); `%s`/`%d`/`%o` format. */
  (format: string, ...args: unknown[]): void
  /** A failure this code handled or chose to drop, logged under `threads:<component>:error` with its causes. */
  failure(what: string, error: unknown): void
  /** Whether tracing is on for this component (to skip building costly messages). */
  readonly enabled: boolean
}

const MAX_CAUSES = 8

/** A logger named `threads:<component>`. */
export function createLogger (component: string): Logger {
  const trace = weald(`threads:${component}`)
  const failures = weald(`threads:${component}:error`)
  const log = (format: string, ...args: unknown[]): void => { trace(format, ...args) }
  log.failure = (what: string, error: unknown): void => {
    if (failures.enabled) failures('%s: %s', what, describeError(error))
  }
  Object.defineProperty(log, 'enabled', { get: () => trace.enabled })
  return log as Logger
}

/** Turns logging on for `namespaces` (comma-separated, `*` wildcards), as `DEBUG` would. */
export function enableLogging (namespaces: string): void {
  weald.enable(namespaces)
}

/** An error's stack (or name and message) followed by each cause in turn. */
export function describeError (error: unknown): string {
  const lines: string[] = []
  let current: unknown = error
  for (let depth = 0; current !== undefined && depth <= MAX_CAUSES; depth++) {
    lines.push(`${depth === 0 ? '' : 'caused by '}${describeOne(current)}`)
    current = current instanceof Error ? current.cause : undefined
  }
  return lines.join('\n')
}

function describeOne (error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  // The stack's own first line may show the name the error had when it was built ("Error"), not its class's.
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at |@/.test(line))
  return [`${error.name}: ${error.message}`, ...frames].join('\n')
}
