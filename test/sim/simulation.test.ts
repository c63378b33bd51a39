/**
 * The protocol-level simulation (simulation.ts), bounded to a few seeds so it
 * runs in seconds with the unit tests; `npm run sim -- --seeds 2000 --replicas 5`
 * runs it long. A failing seed is printed with the command that replays it.
 */
import { describe, expect, it } from 'vitest'
import { runSimulation } from './simulation.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const SEEDS = process.env.THREADS_SEED !== undefined ? [Number(process.env.THREADS_SEED)] : [1, 2, 3, 4]

describe('simulated replicas under random orders, duplicates, partitions and late dependencies', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}, 3 replicas`, async () => {
      const stats = await runSimulation({ seed, replicas: 3 })
      // A run that wrote nothing or never refused a command would check little.
      expect(stats.records).toBeGreaterThan(10)
      expect(stats.deliveries).toBeGreaterThan(5)
    })
  }
})
