/**
 * How a follower process is started (`npm start`, the tests, the benchmarks):
 * with V8 and malloc settings that keep its resident memory near what it
 * uses. Left to its defaults, V8 lets a busy follower's heap grow far past
 * what survives a full collection (its live heap stays near 55 MB while the
 * heap reaches 140 MB), keeps young-generation semi-spaces of up to 16 MB
 * each, and glibc gives each thread that allocates (libuv's pool, LMDB's
 * writer) a malloc arena of its own that is rarely handed back; and glibc's
 * malloc, once a large block is freed, raises the size from which it maps
 * blocks of their own (up to 32 MB) and keeps up to 128 KB free at the top of
 * its heap, so the buffers of requests and of SQLite's reads end up in its
 * heaps, where freed memory between live blocks stays resident.
 */

/** Node flags for a follower: a small young generation, and an old generation bounded well above its live heap. */
export const FOLLOWER_NODE_FLAGS: readonly string[] = [
  // Semi-spaces of at most 2 MB (V8's default is 16): the young generation is committed memory whether
  // or not it holds anything. A 20-thread × 5,000-event fill peaked at 140 MB with 2, 148 with 4 and 157
  // with 8, for about a tenth more CPU a record (more of a push's short-lived objects outlive a scavenge).
  '--max-semi-space-size=2',
  // The old generation may grow to 256 MB: several times the live heap, so a burst is absorbed, but V8 collects before drifting far.
  '--max-old-space-size=256',
  // One helper thread for V8's background work (parallel scavenges, concurrent marking) rather than four: with
  // semi-spaces this small a busy follower scavenges about 80 times a second, and four helpers contending with
  // the event loop, SQLite's writer and the clients for two cores cost more than they saved. Under 200 pushing
  // clients, five alternated pairs of runs: 1,592–2,207 records/s (median 1,764) against 1,436–1,773 (1,564).
  '--v8-pool-size=1',
  // The record store is Node's built-in SQLite (node:sqlite), which warns on load that it is experimental.
  '--disable-warning=ExperimentalWarning'
]

/**
 * The environment of a follower process: `env` with glibc's malloc settings (each unless `env` already
 * says): at most two arenas; blocks of 64 KiB or more in mappings of their own, given back to the
 * system when freed (the threshold fixed, not raised as large blocks are freed); and a heap trimmed
 * once 128 KiB lies free at its top. A 20-thread fill peaked 6–9 MB lower with them here.
 */
export function followerEnvironment (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2',
    MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ ?? String(64 * 1024),
    MALLOC_TRIM_THRESHOLD_: env.MALLOC_TRIM_THRESHOLD_ ?? String(128 * 1024)
  }
}
