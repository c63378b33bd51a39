/** Steps a test file undoes after its last test, newest first, each allowed to fail. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

/** Registers one afterAll that runs every step given to the returned function, in reverse order. */
export function cleanupAfterAll (): (step: () => Promise<unknown>) => void {
  const steps: Array<() => Promise<unknown>> = []
  afterAll(async () => { for (const step of steps.reverse()) await step().catch(() => {}) })
  return (step) => { steps.push(step) }
}

/** A fresh temporary directory, removed at cleanup. */
export async function tempDir (prefix: string, cleanup: (step: () => Promise<unknown>) => void): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  cleanup(async () => await rm(dir, { recursive: true, force: true }))
  return dir
}
