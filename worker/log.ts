/**
 * The workers' loggers (SharedWorker, dedicated workers): `threads:worker:<component>`
 * (see src/core/logger.ts). A worker has no localStorage to turn them on from, so a
 * build made with `VITE_DEBUG` (say `threads:*,libp2p:*`) starts with those on.
 */
import { createLogger, enableLogging, type Logger } from '../src/core/logger.ts'

const namespaces = import.meta.env.VITE_DEBUG as string | undefined
if (namespaces !== undefined && namespaces !== '') enableLogging(namespaces)

/** A logger for one part of the worker. */
export function workerLogger (component: string): Logger {
  return createLogger(`worker:${component}`)
}
