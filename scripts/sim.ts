/**
 * `npm run sim -- --seeds 2000 --replicas 5`: the protocol-level simulation
 * (test/sim/simulation.ts) over many seeds. Options:
 *   --seeds N     how many seeds, from --from (default 1) on (default 100)
 *   --seed S      one seed only (replays a failure)
 *   --replicas R  replicas per run (default 5)
 *   --steps K     random steps per run before healing (default 60)
 *   --jobs J      processes running seeds side by side (default 2)
 * Prints progress and the time taken; on the first failure prints the seed,
 * what failed and the command that replays it, and exits 1.
 */
import { fork } from 'node:child_process'
import { parseArgs } from 'node:util'
import { runSimulation } from '../test/sim/simulation.ts'

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    seed: { type: 'string' },
    from: { type: 'string', default: '1' },
    replicas: { type: 'string', default: '5' },
    steps: { type: 'string', default: '60' },
    jobs: { type: 'string', default: '2' },
    // Internal: this process is job `worker` of `jobs`, and reports to its parent.
    worker: { type: 'string' }
  }
})
const count = (name: string, value: string | undefined, min: number): number => {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}, not ${value}`)
  return n
}
const replicas = count('replicas', values.replicas, 2)
const steps = count('steps', values.steps, 1)
const seeds = values.seed !== undefined ? [count('seed', values.seed, 0)] : Array.from({ length: count('seeds', values.seeds, 1) }, (_, i) => count('from', values.from, 0) + i)
const jobs = Math.min(count('jobs', values.jobs, 1), seeds.length)

if (values.worker !== undefined) {
  // A job: every jobs-th seed, reporting each to the parent.
  const index = count('worker', values.worker, 0)
  for (const seed of seeds.filter((_, i) => i % jobs === index)) {
    try {
      await runSimulation({ seed, replicas, steps })
      process.send!({ seed })
    } catch (error) {
      process.send!({ seed, failure: (error as Error).message })
      process.exit(1)
    }
  }
  process.exit(0)
}

const started = performance.now()
console.log(`simulating ${seeds.length} seed(s) with ${replicas} replicas, ${steps} steps each, in ${jobs} process(es)`)
let done = 0
let failed = false
const children = Array.from({ length: jobs }, (_, index) => fork(process.argv[1]!, [...process.argv.slice(2), '--worker', String(index), '--jobs', String(jobs)]))
await Promise.all(children.map(async (child) => await new Promise<void>((resolve) => {
  child.on('message', (message: { seed: number, failure?: string }) => {
    if (message.failure !== undefined) {
      if (!failed) console.error(`\nFAILED ${message.failure}`)
      failed = true
      for (const other of children) if (other !== child) other.kill()
      return
    }
    done++
    if (done % 100 === 0 || done === seeds.length) console.log(`${done}/${seeds.length} seeds passed, ${((performance.now() - started) / 1000).toFixed(1)} s`)
  })
  child.on('exit', () => { resolve() })
})))
const seconds = ((performance.now() - started) / 1000).toFixed(1)
if (failed || done < seeds.length) {
  console.error(`${done} of ${seeds.length} seeds passed before the failure (${seconds} s)`)
  process.exitCode = 1
} else console.log(`all ${seeds.length} seeds passed in ${seconds} s`)
