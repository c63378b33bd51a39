/** Runs the real follower daemon as a child process for integration tests. */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { FOLLOWER_NODE_FLAGS, followerEnvironment } from '../../follower/process-options.ts'
import { buildFollower } from '../../scripts/build-follower.ts'

/** A follower process and what it printed about itself. */
export interface FollowerProcess {
  readonly child: ChildProcess
  readonly multiaddr: string
  readonly httpUrl: string
  readonly output: () => string
  /** Sends SIGTERM and waits for the process to exit; resolves with its exit code. */
  stop(): Promise<number | null>
}

/** A loopback TCP port that was free a moment ago. */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Starts the follower (follower/main.ts, from its build, as `npm start` runs it) with `dataDir`, on `port` and `httpPort` (free ports by default), announcing `announce` if given, with `flags` added (limits, say). */
export async function startFollowerProcess (dataDir: string, options: { port?: number, httpPort?: number, announce?: string, flags?: readonly string[] } = {}): Promise<FollowerProcess> {
  const args = [...FOLLOWER_NODE_FLAGS, await buildFollower(), '--port', String(options.port ?? 0), '--http-port', String(options.httpPort ?? 0), '--data', dataDir]
  if (options.announce !== undefined) args.push('--announce', options.announce)
  args.push(...(options.flags ?? []))
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: followerEnvironment(process.env) })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const ready = await new Promise<{ multiaddr: string, httpUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`follower did not start within 30 s:\n${output}`)), 30_000)
    const check = (): void => {
      const addr = /listening on (\S+)/.exec(output)
      const http = /HTTP sync at (\S+)/.exec(output)
      if (addr !== null && http !== null) {
        clearTimeout(timer)
        resolve({ multiaddr: addr[1]!, httpUrl: http[1]! })
      }
    }
    child.stdout!.on('data', check)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`follower exited with ${code}:\n${output}`)) })
  })
  return {
    child,
    ...ready,
    output: () => output,
    async stop () {
      if (child.exitCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const [code] = await once(child, 'exit') as [number | null]
      return code
    }
  }
}
