/**
 * `npm run lint` rejects code written for the wrong runtime or layer. Each probe is a
 * small file written into a scratch tree laid out like the repository (its tsconfig
 * files, a link to node_modules, nothing else), then checked as lint checks it: by
 * every tsconfig the `typecheck` script names, and by scripts/check-layers.mjs. The
 * same tree with each probe replaced by its allowed twin must pass, so a failure is
 * the probe's and not the scratch tree's.
 */
import { copyFile, readdir, readFile, symlink } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'
import { layerViolations, writeTree } from '../helpers/layer-check.ts'

const ROOT = resolve(import.meta.dirname, '../..')
/** Compiling a small tree still loads the standard libraries and @types/node: slow on a busy machine. */
const LINT_TIMEOUT_MS = 180_000
const cleanup = cleanupAfterAll()

/** The forbidden files, and what lint must say about each. */
const PROBES = {
  'worker/probe.ts': "import { readFileSync } from 'node:fs'\nexport const read = readFileSync\n",
  'follower/probe.ts': 'export const origin = window.location.origin\n',
  'src/protocol/probe.ts': "import { wired } from '../../worker/wiring.ts'\nexport const named = wired\n"
}

/** The same places doing what their runtime and layer allow. */
const TWINS = {
  'worker/probe.ts': 'export const origin = self.location.origin\n',
  'follower/probe.ts': "import { readFileSync } from 'node:fs'\nexport const read = readFileSync\n",
  'src/protocol/probe.ts': "import { shared } from '../core/probe.ts'\nexport const named = shared\n",
  'src/core/probe.ts': "export const shared = 'core'\n",
  // Harmless in itself: only the protocol probe's importing it is wrong. (Were it worker/probe.ts, the
  // page's tsconfig would compile that file through the import and report node:fs in the worker's place.)
  'worker/wiring.ts': 'export const wired = true\n'
}

describe('npm run lint on files in the wrong runtime or layer', () => {
  it('runs exactly the tsconfigs and the layer check this test applies', async () => {
    const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(scripts.lint).toBe('npm run typecheck && node scripts/check-layers.mjs')
    expect(typecheckConfigs(scripts.typecheck ?? '')).toEqual(expect.arrayContaining(['tsconfig.core.json', 'tsconfig.worker.json', 'tsconfig.node.json', 'tsconfig.app.json']))
  })

  it('fails on a worker importing node:fs, a follower reading window, and src/protocol importing from worker/', async () => {
    const messages = await lint({ ...TWINS, ...PROBES })
    expect(messages).toContainEqual(expect.stringMatching(/^worker\/probe\.ts\(1,\d+\): .*'node:fs'/))
    expect(messages).toContainEqual(expect.stringMatching(/^follower\/probe\.ts\(1,\d+\): Cannot find name 'window'/))
    expect(messages).toContainEqual(expect.stringMatching(/^src\/protocol\/probe\.ts:1 imports \.\.\/\.\.\/worker\/wiring\.ts \(the host worker, which only tooling may import\)/))
  }, LINT_TIMEOUT_MS)

  it('passes the same tree with each probe doing what its runtime and layer allow', async () => {
    expect(await lint(TWINS)).toEqual([])
  }, LINT_TIMEOUT_MS)
})

/** The `-p` arguments of the typecheck script, in order. */
function typecheckConfigs (script: string): string[] {
  return [...script.matchAll(/tsc -p (\S+)/g)].map((m) => m[1] ?? '')
}

/** Writes `files` into a scratch tree beside copies of the tsconfigs, and returns every complaint lint's steps make. */
async function lint (files: Record<string, string>): Promise<string[]> {
  const root = await tempDir('threads-lint-', cleanup)
  for (const name of await readdir(ROOT)) if (/^tsconfig.*\.json$/.test(name)) await copyFile(join(ROOT, name), join(root, name))
  await symlink(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir')
  await writeTree(root, files)
  const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const messages = typecheckConfigs(scripts.typecheck ?? '').flatMap((config) => typeErrors(root, config))
  return [...messages, ...await layerViolations(root)]
}

/** What `tsc -p config` reports in `root`, as `path(line,col): message`; a config matching none of the scratch files reports nothing. */
function typeErrors (root: string, config: string): string[] {
  const configErrors: ts.Diagnostic[] = []
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, config), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => { configErrors.push(diagnostic) }
  })
  if (parsed === undefined) return configErrors.map((d) => describeDiagnostic(root, d))
  if (parsed.fileNames.length === 0) return []
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options })
  return [...parsed.errors, ...ts.getPreEmitDiagnostics(program)].map((d) => describeDiagnostic(root, d))
}

function describeDiagnostic (root: string, diagnostic: ts.Diagnostic): string {
  const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')
  if (diagnostic.file === undefined || diagnostic.start === undefined) return text
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
  return `${relative(root, diagnostic.file.fileName)}(${line + 1},${character + 1}): ${text}`
}
