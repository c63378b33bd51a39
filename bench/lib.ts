/** Small helpers for benchmarks: timing and bounded concurrency. */

/** Runs `count` calls of `task`, at most `concurrency` in flight; returns operations per second. */
export async function rate (count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0
  const start = performance.now()
  const lanes = Array.from({ length: concurrency }, async () => {
    while (next < count) await task(next++)
  })
  await Promise.all(lanes)
  return count / ((performance.now() - start) / 1000)
}

/** Prints one result row: a rate, its baseline and their ratio against a goal. */
export function report (name: string, value: number, baselineName: string, baseline: number, goalRatio: number): boolean {
  const ratio = value / baseline
  const ok = ratio >= goalRatio
  console.log(`${name.padEnd(44)} ${value.toFixed(0).padStart(8)}/s   ${baselineName.padEnd(36)} ${baseline.toFixed(0).padStart(8)}/s   ratio ${ratio.toFixed(2)} (goal ≥ ${Number(goalRatio.toFixed(2))}) ${ok ? 'ok' : 'BELOW GOAL'}`)
  return ok
}
