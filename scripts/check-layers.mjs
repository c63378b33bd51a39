#!/usr/bin/env node
/**
 * Keeps the layers apart (see STYLE.md), with no dependencies. Every source file
 * of src/, worker/, follower/, scripts/, test/, bench/ and e2e/ belongs to a layer
 * (LAYERS below; a file in none is itself a violation, so a new folder gets a rule):
 * 1. Each layer imports only from the layers MAY_IMPORT allows it: src/core from
 *    nothing outside itself; src/protocol from core; adapters from core and protocol;
 *    src/services (the node's long-lived parts, given storage and transports) from
 *    core and protocol, never adapters; the app from core and protocol; the hosts
 *    (worker/, follower/, the service worker) from core, protocol, adapters and
 *    services. No layer but the tooling (scripts, tests, benchmarks) imports a
 *    host, so a host stays entry wiring.
 * 2. src/core is environment-agnostic: it imports no Node built-in (`node:*`, `fs`,
 *    …), and it names no `window`, `document`, `process` or `indexedDB`.
 * 3. src/app stays off the node's stack: it imports nothing from src/adapters and no
 *    libp2p or Helia package, neither directly nor through its runtime imports, and
 *    it imports only types from src/core (values come through src/protocol).
 * 4. No import cycles among the scanned files.
 * 5. No error is swallowed in src/, worker/ or follower/: an empty `catch {}` block
 *    (comments do not count) or a `.catch(() => {})` / `.catch(() => undefined)`
 *    handler is a violation; handle the error, report it, or log it with its cause
 *    (src/core/logger.ts).
 * Which runtime's globals and built-ins each folder may use is the job of its
 * tsconfig (see the `typecheck` script); this check is about who imports whom.
 * Prints "layers ok: N files" and exits 0, or lists every violation and exits 1.
 * Usage: node scripts/check-layers.mjs [root]
 *
 * It reads sources with a small scanner, not a TypeScript parser: comments and
 * string contents are blanked before identifiers are searched, and imports are
 * found by pattern. Good enough for a lint; `tsc` remains the real judge of code.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

// The repository root, or the directory given as the first argument (to try the rules on a sample tree).
const ROOT = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'))
const SCANNED_DIRS = ['src', 'worker', 'follower', 'scripts', 'test', 'bench', 'e2e']
/** Each layer and the path prefixes of its files; a file belongs to the first layer with a matching prefix. */
const LAYERS = [
  ['src/core', ['src/core/']],
  ['src/protocol', ['src/protocol/']],
  ['src/adapters', ['src/adapters/']],
  ['src/services', ['src/services/']],
  ['src/app', ['src/app/']],
  ['service worker', ['src/sw.ts', 'src/service-worker/']],
  ['worker', ['worker/']],
  ['follower', ['follower/']],
  ['tooling', ['scripts/', 'test/', 'bench/', 'e2e/']]
]
const HOSTS = new Set(['service worker', 'worker', 'follower'])
/** The layers each layer may import from, besides itself. */
const MAY_IMPORT = {
  'src/core': [],
  'src/protocol': ['src/core'],
  'src/adapters': ['src/core', 'src/protocol'],
  'src/services': ['src/core', 'src/protocol'],
  'src/app': ['src/core', 'src/protocol'],
  'service worker': ['src/core', 'src/protocol', 'src/adapters'],
  worker: ['src/core', 'src/protocol', 'src/adapters', 'src/services'],
  follower: ['src/core', 'src/protocol', 'src/adapters', 'src/services'],
  tooling: LAYERS.map(([name]) => name)
}
const CORE = 'src/core/'
const PRODUCT_DIRS = ['src/', 'worker/', 'follower/']
const APP = 'src/app/'
const ADAPTERS = 'src/adapters/'
const FORBIDDEN_IN_CORE = /(?<![\w$.])(?:globalThis\s*\.\s*)?(window|document|process|indexedDB)(?![\w$])/g
const NODE_STACK_PACKAGE = /^(?:@(?:libp2p|helia)\/|(?:libp2p|helia)(?:\/|$))/
const BUILTINS = new Set(builtinModules)

const files = SCANNED_DIRS.flatMap((dir) => listSources(join(ROOT, dir))).map(toRepoPath).sort()
const fileSet = new Set(files)
const modules = new Map(files.map((file) => [file, scan(file)]))
const violations = [...checkImportsBetweenLayers(), ...checkCore(), ...checkApp(), ...findCycles(), ...checkSwallowedErrors()]

if (violations.length > 0) {
  console.error(`layer check failed (${violations.length}):\n${violations.map((v) => `  - ${v}`).join('\n')}`)
  process.exit(1)
}
console.log(`layers ok: ${files.length} files`)

/** Rule 1: every file is in a layer, and its relative imports reach only the layers that layer may import. */
function checkImportsBetweenLayers () {
  const found = []
  for (const [file, mod] of modules) {
    const layer = layerOf(file)
    if (layer === undefined) {
      found.push(`${file} belongs to no layer; add its folder to LAYERS in scripts/check-layers.mjs`)
      continue
    }
    for (const imp of mod.imports) {
      if (!imp.relative) continue
      const target = layerOf(imp.target)
      if (target === layer || MAY_IMPORT[layer].includes(target)) continue
      const what = target === undefined ? 'a file in no layer' : HOSTS.has(target) ? `the host ${target}, which only tooling may import` : target
      const allowed = MAY_IMPORT[layer].length === 0 ? 'nothing outside itself' : `only ${MAY_IMPORT[layer].join(', ')}`
      found.push(`${file}:${imp.line} imports ${imp.spec} (${what}); ${layer} may import ${allowed}`)
    }
  }
  return found
}

function layerOf (file) {
  return LAYERS.find(([, prefixes]) => prefixes.some((prefix) => prefix.endsWith('/') ? file.startsWith(prefix) : file === prefix))?.[0]
}

function checkCore () {
  const found = []
  for (const [file, mod] of modules) {
    if (!file.startsWith(CORE)) continue
    for (const imp of mod.imports) {
      if (!imp.relative && isBuiltin(imp.spec)) found.push(`${file}:${imp.line} imports the Node built-in ${imp.spec}`)
    }
    const shadowed = locallyDeclared(mod.bareCode)
    for (const match of mod.bareCode.matchAll(FORBIDDEN_IN_CORE)) {
      if (shadowed.has(match[1]) || isPropertyKey(mod.bareCode, match.index + match[0].length)) continue
      found.push(`${file}:${lineAt(mod.bareCode, match.index)} uses ${match[1]}, which core must not (it runs in Node, workers and pages alike)`)
    }
  }
  return found
}

/**
 * Names from FORBIDDEN_IN_CORE that the file declares itself (`const window = …`,
 * a parameter `document`): those are its own variables, not the globals. Per file,
 * not per scope: the core tsconfig (no DOM, no Node types) catches what this misses.
 */
function locallyDeclared (code) {
  const names = new Set()
  for (const m of code.matchAll(/(?:\b(?:const|let|var|function|class)\s+|[(,]\s*)(window|document|process|indexedDB)\s*(?=[=:,);])/g)) names.add(m[1])
  return names
}

/** True for a key such as `{ document: … }` or `process?: number`: a name, not a use. A ternary's `a ? window : b` is a use. */
function isPropertyKey (code, end) {
  const before = code.slice(Math.max(0, end - 60), end).replace(/(?:globalThis\s*\.\s*)?[\w$]+$/, '')
  return /^\s*\??:/.test(code.slice(end, end + 4)) && !/\?\s*$/.test(before)
}

function checkApp () {
  const found = []
  for (const [file, mod] of modules) {
    if (!file.startsWith(APP)) continue
    for (const imp of mod.imports) { // importing src/adapters at all is rule 1's to report
      if (imp.relative && imp.target.startsWith(CORE) && !imp.typeOnly) found.push(`${file}:${imp.line} imports values from src/core (${imp.spec}); use \`import type\`, or reach them through src/protocol`)
      if (!imp.relative && NODE_STACK_PACKAGE.test(imp.spec)) found.push(`${file}:${imp.line} imports ${imp.spec}, which must stay out of the page`)
    }
    const chain = runtimePathToNodeStack(file)
    if (chain !== undefined) found.push(`${file} reaches the node's stack at run time: ${chain.join(' → ')}`)
  }
  return found
}

/**
 * Breadth-first over runtime (non-type) relative imports, starting past the file's
 * own imports (checked directly above); returns the path to the first module that
 * is an adapter or imports a libp2p or Helia package.
 */
function runtimePathToNodeStack (start) {
  const previous = new Map([[start, undefined]])
  const queue = []
  const enqueue = (from) => {
    for (const imp of modules.get(from)?.imports ?? []) {
      if (!imp.relative || imp.typeOnly || !modules.has(imp.target) || previous.has(imp.target)) continue
      if (from === start && imp.target.startsWith(ADAPTERS)) continue
      previous.set(imp.target, from)
      queue.push(imp.target)
    }
  }
  enqueue(start)
  while (queue.length > 0) {
    const file = queue.shift()
    const pkg = modules.get(file).imports.find((i) => !i.relative && !i.typeOnly && NODE_STACK_PACKAGE.test(i.spec))?.spec
    if (file.startsWith(ADAPTERS) || pkg !== undefined) {
      const chain = pkg === undefined ? [] : [pkg]
      for (let at = file; at !== undefined; at = previous.get(at)) chain.unshift(at)
      return chain
    }
    enqueue(file)
  }
  return undefined
}

/** Rule 5: every catch in the product's code does something with the error. */
function checkSwallowedErrors () {
  const found = []
  const emptyBlock = /(?<![\w$.])catch\s*(?:\([^)]*\))?\s*\{\s*\}/g
  const emptyHandler = /\.catch\(\s*(?:\([^)]*\)|[\w$]+)\s*=>\s*(?:\{\s*\}|undefined|null|void\s+0)\s*\)/g
  for (const [file, mod] of modules) {
    if (!PRODUCT_DIRS.some((dir) => file.startsWith(dir))) continue
    for (const match of [...mod.bareCode.matchAll(emptyBlock), ...mod.bareCode.matchAll(emptyHandler)]) {
      found.push(`${file}:${lineAt(mod.bareCode, match.index)} swallows an error (${match[0].replace(/\s+/g, ' ')}); handle it, report it, or log it with its cause`)
    }
  }
  return found
}

/** Depth-first search over all relative imports; reports each cycle once, as a path. */
function findCycles () {
  const found = []
  const state = new Map() // file → 'open' while on the DFS stack, 'done' after
  const stack = []
  const visit = (file) => {
    state.set(file, 'open')
    stack.push(file)
    for (const imp of modules.get(file).imports) {
      if (!imp.relative || !modules.has(imp.target)) continue
      if (state.get(imp.target) === 'open') {
        found.push(`import cycle: ${[...stack.slice(stack.indexOf(imp.target)), imp.target].join(' → ')}`)
      } else if (!state.has(imp.target)) {
        visit(imp.target)
      }
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of modules.keys()) if (!state.has(file)) visit(file)
  return found
}

function scan (file) {
  const source = readFileSync(join(ROOT, file), 'utf8')
  const { code, bareCode } = blank(source)
  const imports = []
  const add = (spec, index, typeOnly) => {
    const relativeSpec = spec.startsWith('.')
    const target = relativeSpec ? resolveRelative(file, spec) : spec
    imports.push({ spec, target, relative: relativeSpec, typeOnly, line: lineAt(code, index) })
  }
  for (const m of code.matchAll(/(?<![\w$.])import\s+(type\s+)?([^'";]*?)\s*from\s*(['"])(.+?)\3/g)) add(m[4], m.index, m[1] !== undefined || allNamesAreTypes(m[2]))
  for (const m of code.matchAll(/(?<![\w$.])import\s*(['"])(.+?)\1/g)) add(m[2], m.index, false)
  for (const m of code.matchAll(/(?<![\w$.])export\s+(type\s+)?(\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s*from\s*(['"])(.+?)\3/g)) add(m[4], m.index, m[1] !== undefined || allNamesAreTypes(m[2]))
  for (const m of code.matchAll(/(?<![\w$.])import\s*\(\s*(['"])(.+?)\1\s*\)/g)) add(m[2], m.index, false)
  return { imports, bareCode }
}

/** `{ type A, type B }` imports nothing at run time. */
function allNamesAreTypes (clause) {
  const braces = /^\{([^}]*)\}$/.exec(clause.trim())
  if (braces === null) return false
  const names = braces[1].split(',').map((n) => n.trim()).filter(Boolean)
  return names.length > 0 && names.every((n) => /^type\s/.test(n))
}

/**
 * Returns the source with comments removed (`code`, strings kept, for finding
 * imports) and with comments and string contents blanked (`bareCode`, for finding
 * identifiers). Newlines are kept so line numbers stay right.
 */
function blank (source) {
  let code = ''
  let bareCode = ''
  const templateDepths = [] // brace depth at which each open `${` returns to its template
  let depth = 0
  let i = 0
  const emit = (text, bare = text) => { code += text; bareCode += bare }
  const keepLines = (text) => text.replace(/[^\n]/g, ' ')
  const readString = (quote) => {
    let j = i + 1
    while (j < source.length && source[j] !== quote && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1
    const text = source.slice(i, j + 1)
    emit(text, quote + keepLines(text.slice(1, -1)) + quote)
    i = j + 1
  }
  const readTemplate = () => { // from just after ` or }, up to the closing ` or an opening ${
    let j = i
    while (j < source.length && source[j] !== '`' && !(source[j] === '$' && source[j + 1] === '{')) j += source[j] === '\\' ? 2 : 1
    emit(source.slice(i, j), keepLines(source.slice(i, j)))
    if (source[j] === '`') { emit('`'); i = j + 1 } else { emit('${'); templateDepths.push(depth); i = j + 2 }
  }
  while (i < source.length) {
    const c = source[i]
    const next = source[i + 1]
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i)
      i = end === -1 ? source.length : end
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2)
      const stop = end === -1 ? source.length : end + 2
      emit(keepLines(source.slice(i, stop)))
      i = stop
    } else if (c === '"' || c === "'") {
      readString(c)
    } else if (c === '`') {
      emit('`'); i++; readTemplate()
    } else if (c === '}' && templateDepths.at(-1) === depth) {
      templateDepths.pop(); emit('}'); i++; readTemplate()
    } else {
      if (c === '{') depth++
      if (c === '}') depth--
      emit(c); i++
    }
  }
  return { code, bareCode }
}

function resolveRelative (from, spec) {
  const base = join(dirname(from), spec)
  const candidates = [base, `${base}.ts`, `${base}.tsx`, base.replace(/\.js$/, '.ts'), base.replace(/\.jsx$/, '.tsx'), join(base, 'index.ts'), join(base, 'index.tsx')]
  const hit = candidates.find((c) => fileSet.has(c.split(sep).join('/')) || isFile(join(ROOT, c)))
  return (hit ?? base).split(sep).join('/')
}

function isBuiltin (spec) {
  return spec.startsWith('node:') || BUILTINS.has(spec)
}

function listSources (dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return listSources(path)
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

function isFile (path) {
  return existsSync(path) && statSync(path).isFile()
}

function toRepoPath (path) {
  return relative(ROOT, path).split(sep).join('/')
}

function lineAt (text, index) {
  let line = 1
  for (let k = 0; k < index; k++) if (text.charCodeAt(k) === 10) line++
  return line
}
