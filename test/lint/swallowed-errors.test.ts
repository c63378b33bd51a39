/**
 * `npm run lint` rejects an error swallowed in the product's code (src/, worker/,
 * follower/): an empty catch block, or a `.catch` handler that does nothing. Each
 * probe is checked by scripts/check-layers.mjs in a scratch tree, beside twins
 * that handle, rethrow or log the same error and must pass.
 */
import { describe, expect, it } from 'vitest'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { layerViolations, writeTree } from '../helpers/layer-check.ts'

const cleanup = cleanupAfterAll()

const PROBES = {
  'worker/empty-block.ts': 'export function parse (text: string): unknown {\n  try { return JSON.parse(text) } catch {}\n  return undefined\n}\n',
  'src/core/empty-handler.ts': 'export function fire (work: Promise<void>): void {\n  work.catch(() => undefined)\n}\n',
  'follower/comment-only.ts': 'export function stop (close: () => void): void {\n  try {\n    close()\n  } catch (error) {\n    // already closed\n  }\n}\n',
  'src/adapters/empty-arrow.ts': 'export async function cancel (body: { cancel(): Promise<void> }): Promise<void> {\n  await body.cancel().catch((_error) => {})\n}\n'
}

const TWINS = {
  'worker/empty-block.ts': "import { log } from '../src/core/log.ts'\nexport function parse (text: string): unknown {\n  try { return JSON.parse(text) } catch (error) { log.failure('not JSON', error) }\n  return undefined\n}\n",
  'src/core/empty-handler.ts': "import { log } from './log.ts'\nexport function fire (work: Promise<void>): void {\n  work.catch((error: unknown) => { log.failure('work', error) })\n}\n",
  'follower/comment-only.ts': "export function stop (close: () => void): void {\n  try {\n    close()\n  } catch (error) {\n    if ((error as Error).name !== 'InvalidStateError') throw error\n  }\n}\n",
  'src/adapters/empty-arrow.ts': "// A comment saying catch {} or .catch(() => {}) is not code.\nexport const text = 'catch {}'\n",
  'src/core/log.ts': 'export const log = { failure: (_what: string, _error: unknown): void => {} }\n',
  // Outside the product's code (tooling), an empty handler is the test's own business.
  'test/cleanup.ts': 'export const quiet = (step: Promise<void>): Promise<void> => step.catch(() => {})\n'
}

describe('npm run lint on swallowed errors', () => {
  it('names every empty catch block and do-nothing .catch handler in src/, worker/ and follower/', async () => {
    const found = await violations({ ...TWINS, ...PROBES })
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/^worker\/empty-block\.ts:2 swallows an error \(catch \{\}\)/),
      expect.stringMatching(/^src\/core\/empty-handler\.ts:2 swallows an error \(\.catch\(\(\) => undefined\)\)/),
      expect.stringMatching(/^follower\/comment-only\.ts:4 swallows an error/),
      expect.stringMatching(/^src\/adapters\/empty-arrow\.ts:2 swallows an error/)
    ]))
    expect(found).toHaveLength(4)
  }, 60_000)

  it('passes errors that are handled, rethrown or logged, and mentions in comments and strings', async () => {
    expect(await violations(TWINS)).toEqual([])
  }, 60_000)
})

async function violations (files: Record<string, string>): Promise<string[]> {
  const root = await tempDir('threads-catch-', cleanup)
  await writeTree(root, files)
  return await layerViolations(root)
}
