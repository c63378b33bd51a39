/**
 * Follower settings from flags and environment variables (flags win):
 *   --host / THREADS_FOLLOWER_HOST          listen address (default 127.0.0.1)
 *   --port / THREADS_FOLLOWER_PORT          libp2p WebSocket port (default 4001; 0 picks one)
 *   --http-port / THREADS_FOLLOWER_HTTP_PORT  HTTP port for health and HTTP sync (default 4002; 0 picks one)
 *   --data / THREADS_FOLLOWER_DATA          data directory (default .data/follower)
 *   --announce / THREADS_FOLLOWER_ANNOUNCE  comma-separated multiaddrs to announce instead of the listen ones
 *   --cors-origins / THREADS_FOLLOWER_CORS_ORIGINS  comma-separated origins whose pages may call the HTTP side
 *                                           (default the app's: ports 4173 and 5173 of 127.0.0.1 and localhost; `*` for any)
 *   and one flag and variable per limit (limits.ts): `--max-connections-per-ip 32`, THREADS_FOLLOWER_MAX_CONNECTIONS_PER_IP=32.
 */
import { resolve } from 'node:path'
import { ThreadsError } from '../src/core/errors.ts'
import { DEFAULT_LIMITS, limitFlag, limitVariable, type FollowerLimits } from './limits.ts'

/** The origins the app is served from by `npm start` (4173) and `npm run dev` (5173), whose pages call the follower. */
export const DEFAULT_CORS_ORIGINS: readonly string[] = ['http://127.0.0.1:4173', 'http://localhost:4173', 'http://127.0.0.1:5173', 'http://localhost:5173']

/** A flag or environment variable the follower cannot use; its message says which and why. */
export class FollowerConfigError extends ThreadsError {
  static override readonly errorName = 'FollowerConfigError'
}

/** A follower's settings. */
export interface FollowerConfig {
  readonly host: string
  readonly port: number
  readonly httpPort: number
  readonly dataDir: string
  readonly announce: readonly string[]
  readonly corsOrigins: readonly string[]
  readonly limits: FollowerLimits
}

/** Reads settings from argv and env; bad values are refused with a message. */
export function readConfig (argv: readonly string[], env: NodeJS.ProcessEnv): FollowerConfig {
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('--')) throw new FollowerConfigError(`unexpected argument "${arg}"`)
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined]
    const value = inline ?? argv[++i]
    if (value === undefined) throw new FollowerConfigError(`--${name} needs a value`)
    flags.set(name, value)
  }
  const port = (name: string, envName: string, fallback: number): number => {
    const text = flags.get(name) ?? env[envName]
    const value = text === undefined ? fallback : Number(text)
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new FollowerConfigError(`--${name} must be a port number, not "${text}"`)
    return value
  }
  const list = (name: string, envName: string): string[] | undefined => {
    const text = flags.get(name) ?? env[envName]
    return text === undefined || text.trim() === '' ? undefined : text.split(',').map((a) => a.trim()).filter((a) => a !== '')
  }
  const limits: { -readonly [K in keyof FollowerLimits]: number } = { ...DEFAULT_LIMITS }
  for (const name of Object.keys(DEFAULT_LIMITS) as Array<keyof FollowerLimits>) {
    const text = flags.get(limitFlag(name)) ?? env[limitVariable(name)]
    if (text === undefined) continue
    const value = Number(text)
    if (!Number.isSafeInteger(value) || value < 1) throw new FollowerConfigError(`--${limitFlag(name)} must be a whole number of at least 1, not "${text}"`)
    limits[name] = value
  }
  const known = new Set(['host', 'port', 'http-port', 'data', 'announce', 'cors-origins', ...Object.keys(DEFAULT_LIMITS).map((n) => limitFlag(n as keyof FollowerLimits))])
  for (const name of flags.keys()) if (!known.has(name)) throw new FollowerConfigError(`there is no flag --${name}`)
  return {
    host: flags.get('host') ?? env.THREADS_FOLLOWER_HOST ?? '127.0.0.1',
    port: port('port', 'THREADS_FOLLOWER_PORT', 4001),
    httpPort: port('http-port', 'THREADS_FOLLOWER_HTTP_PORT', 4002),
    dataDir: resolve(flags.get('data') ?? env.THREADS_FOLLOWER_DATA ?? '.data/follower'),
    announce: list('announce', 'THREADS_FOLLOWER_ANNOUNCE') ?? [],
    corsOrigins: list('cors-origins', 'THREADS_FOLLOWER_CORS_ORIGINS') ?? DEFAULT_CORS_ORIGINS,
    limits
  }
}
