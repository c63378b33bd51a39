/**
 * `npm start`: runs the follower (with its on-disk storage in .data/follower)
 * and serves the production build of the app on http://127.0.0.1:4173, until
 * Ctrl-C. Either process exiting stops the other.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { FOLLOWER_NODE_FLAGS, followerEnvironment } from '../follower/process-options.ts'
import { buildFollower } from './build-follower.ts'

const children: ChildProcess[] = []
let stopping = false

function run (name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
  const prefix = (chunk: Buffer): string => chunk.toString().split('\n').filter((l) => l !== '').map((l) => `[${name}] ${l}`).join('\n') + '\n'
  child.stdout!.on('data', (chunk: Buffer) => process.stdout.write(prefix(chunk)))
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(prefix(chunk)))
  child.on('exit', (code) => {
    if (!stopping) {
      console.error(`[${name}] exited with ${code}; stopping`)
      stop(code ?? 1)
    }
  })
  children.push(child)
}

function stop (code: number): void {
  stopping = true
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  setTimeout(() => process.exit(code), 3000).unref()
  Promise.all(children.map(async (child) => child.exitCode !== null || await new Promise((resolve) => child.once('exit', resolve)))).then(() => process.exit(code), () => process.exit(code))
}

// The follower runs from its build, which takes less memory than its TypeScript sources (build-follower.ts).
run('follower', process.execPath, [...FOLLOWER_NODE_FLAGS, await buildFollower()], followerEnvironment(process.env))
run('app', process.execPath, ['node_modules/vite/bin/vite.js', 'preview', '--host', '127.0.0.1', '--port', '4173', '--strictPort'])
console.log('Threads: app on http://127.0.0.1:4173, follower on ws://127.0.0.1:4001 (health: http://127.0.0.1:4002/health). Ctrl-C stops both.')
process.on('SIGINT', () => { stop(0) })
process.on('SIGTERM', () => { stop(0) })
