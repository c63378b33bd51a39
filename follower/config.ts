/**
 * Follower settings from flags and environment variables (flags win):
 *   --host / THREADS_FOLLOWER_HOST          listen address (default 127.0.0.1)
 *   --port / THREADS_FOLLOWER_PORT          libp2p WebSocket port (default 4001; 0 picks one)
 *   --http-port / THREADS_FOLLOWER_HTTP_PORT  HTTP port for health and HTTP sync (default 4002; 0 picks one)
 *   --data / THREADS_FOLLOWER_DATA          data directory (default .data/follower)
 *   --announce / THREADS_FOLLOWER_ANNOUNCE  comma-separated multiaddrs to announce instead of the listen ones
 */
import { resolve } from 'node:path'
import { ThreadsError } from '../src/core/errors.ts'

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
  const announce = flags.get('announce') ?? env.THREADS_FOLLOWER_ANNOUNCE
  return {
    host: flags.get('host') ?? env.THREADS_FOLLOWER_HOST ?? '127.0.0.1',
    port: port('port', 'THREADS_FOLLOWER_PORT', 4001),
    httpPort: port('http-port', 'THREADS_FOLLOWER_HTTP_PORT', 4002),
    dataDir: resolve(flags.get('data') ?? env.THREADS_FOLLOWER_DATA ?? '.data/follower'),
    announce: announce === undefined || announce === '' ? [] : announce.split(',').map((a) => a.trim())
  }
}
