/** Runs scripts/check-layers.mjs on a scratch tree, for tests of what lint rejects. */
import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { expect } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')

/** Writes `files` (path → text) under `root`. */
export async function writeTree (root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), text)
  }
}

/** The violations scripts/check-layers.mjs lists for `root`, one per line; none when it exits 0. */
export async function layerViolations (root: string): Promise<string[]> {
  const run = await promisify(execFile)(process.execPath, [join(ROOT, 'scripts/check-layers.mjs'), root])
    .then(() => undefined, (error: { code?: number, stderr?: string }) => error)
  if (run === undefined) return []
  expect(run.code).toBe(1)
  return (run.stderr ?? '').split('\n').filter((line) => line.startsWith('  - ')).map((line) => line.slice(4))
}
