/**
 * Builds the follower into one JavaScript file (its own sources bundled, its
 * packages left to node_modules), which `npm start`, the tests and the
 * benchmarks run: started from its TypeScript sources, Node strips their types
 * with a WebAssembly compiler (amaro) that then stays loaded with its memory,
 * and keeps a module record for each of some 200 files; an idle follower takes
 * about 25 MB more resident memory that way.
 *
 * The file is named by a hash of its contents and written under
 * node_modules/.cache (inside the project, so its imports of packages resolve),
 * by a write and a rename: processes building at once (test workers) each
 * write the same file whole, and none runs a half-written one.
 *
 * `node scripts/build-follower.ts` prints the built file's path (to run it in production:
 * `node <flags of follower/process-options.ts> <path> --port 4001 …`).
 */
import { randomUUID, createHash } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Rollup } from 'vite'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const ENTRY = 'follower/main.ts'
const WRITER_THREAD_ENTRY = 'src/adapters/node/sqlite-writer-thread.ts'
const CACHE = join(ROOT, 'node_modules', '.cache', 'threads-follower')

let built: Promise<string> | undefined

/** Builds follower/main.ts (once per process) and resolves with the path of the JavaScript file to run. */
export async function buildFollower (): Promise<string> {
  built ??= bundle()
  return await built
}

/** `entry` built for Node into the text of one module, with `define`'s constants replaced. */
async function bundleModule (entry: string, define: Record<string, string> = {}): Promise<string> {
  const output = await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    publicDir: false,
    define,
    // An SSR build targets Node and leaves every package to node_modules (native modules, files found beside their code).
    build: { ssr: entry, target: 'node22', write: false, minify: false, sourcemap: false, rollupOptions: { output: { codeSplitting: false } } }
  }) as Rollup.RollupOutput | Rollup.RollupOutput[]
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output).filter((o): o is Rollup.OutputChunk => o.type === 'chunk')
  if (chunks.length !== 1) throw new Error(`the build of ${entry} made ${chunks.length} chunks, where one file was expected`)
  return chunks[0]!.code
}

async function bundle (): Promise<string> {
  // The SQLite writer thread runs from its own bundle (it imports only Node's modules), carried inside the follower's.
  const writerThread = await bundleModule(WRITER_THREAD_ENTRY)
  const code = await bundleModule(ENTRY, { __SQLITE_WRITER_THREAD__: JSON.stringify(writerThread) })
  const path = join(CACHE, `main-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.js`)
  await mkdir(CACHE, { recursive: true })
  const partial = `${path}.${randomUUID()}.partial`
  await writeFile(partial, code)
  await rename(partial, path)
  return path
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await buildFollower())
