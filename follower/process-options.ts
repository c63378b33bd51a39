/**
 * How a follower process is started (`npm start`, the tests, the benchmarks):
 * with V8 and malloc settings that keep its resident memory near what it
 * uses. Left to its defaults, V8 lets a busy follower's heap grow far past
 * what survives a full collection (its live heap stays near 55 MB while the
 * heap reaches 140 MB), keeps young-generation semi-spaces of up to 16 MB
 * each, and glibc gives each thread that allocates (libuv's pool, LMDB's
 * writer) a malloc arena of its own that is rarely handed back.
 */

/** Node flags for a follower: a small young generation, and an old generation bounded well above its live heap. */
export const FOLLOWER_NODE_FLAGS: readonly string[] = [
  // Semi-spaces of at most 8 MB (V8's default is 16): less memory held between scavenges, and not so
  // small that a push's short-lived garbage is promoted to the old generation before it dies.
  '--max-semi-space-size=8',
  // The old generation may grow to 256 MB: several times the live heap, so a burst is absorbed, but V8 collects before drifting far.
  '--max-old-space-size=256',
  // The record store is Node's built-in SQLite (node:sqlite), which warns on load that it is experimental.
  '--disable-warning=ExperimentalWarning'
]

/** The environment of a follower process: `env` with at most two malloc arenas (unless it already says). */
export function followerEnvironment (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2' }
}
